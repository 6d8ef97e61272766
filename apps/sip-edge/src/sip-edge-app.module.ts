import { DynamicModule, Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { SipEdgeDeps } from './sip-edge';
import { SipEdgeModule } from './sip-edge.module';

/** The standalone sip-edge process: the edge plus its health endpoints. */
@Module({})
export class SipEdgeAppModule {
  static register(deps: SipEdgeDeps): DynamicModule {
    return {
      module: SipEdgeAppModule,
      imports: [SipEdgeModule.register(deps)],
      controllers: [HealthController],
    };
  }
}
