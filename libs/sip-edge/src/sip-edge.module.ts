import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  BeforeApplicationShutdown,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { BansController } from './admin/bans.controller';
import { EdgeAdminTokenGuard } from './admin/edge-admin-token.guard';
import { SipEdge, SipEdgeDeps } from './sip-edge';
import { SIP_EDGE } from './sip-edge.token';

export { SIP_EDGE };

/**
 * Starts the edge when the application boots and stops it on shutdown, before Nest closes the
 * HTTP server: /health/ready keeps answering (503, draining) while the edge drains.
 */
@Injectable()
export class SipEdgeLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(SIP_EDGE) private readonly edge: SipEdge) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.edge.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.edge.stop();
  }
}

/**
 * The sip-edge service as a Nest dynamic module: the bus and the config are passed in, so the
 * embedded app composes it with the other services on the in-process bus, and main.ts on Kafka.
 */
@Module({})
export class SipEdgeModule {
  static register(deps: SipEdgeDeps): DynamicModule {
    return {
      module: SipEdgeModule,
      controllers: [BansController],
      providers: [
        { provide: SIP_EDGE, useFactory: () => new SipEdge(deps) },
        SipEdgeLifecycle,
        EdgeAdminTokenGuard,
      ],
      exports: [SIP_EDGE],
    };
  }
}
