import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { SIP_EDGE } from './sip-edge.module';
import { SipEdge } from './sip-edge';

/** The probes of the Helm chart: live while the process runs, ready while the SIP transports listen. */
@Controller('health')
export class HealthController {
  constructor(@Inject(SIP_EDGE) private readonly edge: SipEdge) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  ready(): { status: 'ok'; addresses: SipEdge['addresses'] } {
    if (!this.edge.listening) throw new ServiceUnavailableException('SIP transports not listening');
    return { status: 'ok', addresses: this.edge.addresses };
  }
}
