import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  UseGuards,
} from '@nestjs/common';
import type { SipEdge } from '../sip-edge';
import { SIP_EDGE } from '../sip-edge.token';
import type { Ban } from '../throttle/source-guard';
import { EdgeAdminTokenGuard } from './edge-admin-token.guard';

/** A ban as the admin API answers it. */
export interface BanView {
  source: string;
  since: string;
  expiresAt: string;
  failures: number;
}

/** This edge's bans (docs/configuration.md, "Password guessing and floods"); each edge keeps its own. */
export interface BansView {
  edgeId: string;
  /** False when HERALD_SIP_THROTTLE_ENABLED=false: nothing is ever banned. */
  throttle: boolean;
  bans: BanView[];
}

function viewOf(ban: Ban): BanView {
  return {
    source: ban.source,
    since: new Date(ban.since).toISOString(),
    expiresAt: new Date(ban.expiresAt).toISOString(),
    failures: ban.failures,
  };
}

/** The edge's admin endpoints, on its HTTP port, behind HERALD_ADMIN_TOKEN: list bans, lift one. */
@Controller('admin/edge/bans')
@UseGuards(EdgeAdminTokenGuard)
export class BansController {
  constructor(@Inject(SIP_EDGE) private readonly edge: SipEdge) {}

  @Get()
  list(): BansView {
    const throttle = this.edge.throttle;
    return {
      edgeId: this.edge.config.edgeId,
      throttle: throttle !== undefined,
      bans: (throttle?.guard.activeBans() ?? []).map(viewOf),
    };
  }

  /** `source` as listed (an IPv6 /64 URL-encoded) or any address in it. */
  @Delete(':source')
  @HttpCode(204)
  lift(@Param('source') source: string): void {
    if (this.edge.throttle?.lift(source) === undefined) {
      throw new NotFoundException({ code: 'EDGE_BAN_NOT_FOUND', message: `${source} is not banned here` });
    }
  }
}
