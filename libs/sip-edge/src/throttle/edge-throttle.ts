import { heraldMetrics } from '#herald/observability';
import type { Flow, SipRequest, SipResponse } from '#herald/sip';
import { edgeLogger } from '../edge-logger';
import { serviceUnavailable } from '../sip/responses';
import { type Ban, SourceGuard, type ThrottleLimits } from './source-guard';

/**
 * The edge's use of its SourceGuard: what a throttled request is answered (503 with Retry-After)
 * or that it is dropped (banned), with the metric and the log line (stable codes) of each.
 */
export class EdgeThrottle {
  private readonly logger = edgeLogger('SipEdgeThrottle');
  readonly guard: SourceGuard;

  constructor(limits: ThrottleLimits, now: () => number) {
    this.guard = new SourceGuard(limits, now, (table, evicted) =>
      this.logger.warn(
        'EDGE_THROTTLE_TABLE_FULL',
        'a full throttle table forgot its oldest entries: their counts start over (HERALD_SIP_THROTTLE_MAX_ENTRIES)',
        { table, forgot: evicted },
      ),
    );
  }

  /** For the transaction layer: false drops the message of a banned source unanswered. */
  admits(flow: Flow): boolean {
    if (!this.guard.isBanned(flow.remote.address)) return true;
    heraldMetrics().sipThrottled('banned');
    return false;
  }

  /** 503 for a source over its requests in the window; undefined when it may go on. */
  refuseRequest(request: SipRequest, flow: Flow): SipResponse | undefined {
    const refused = this.guard.takeRequest(flow.remote.address);
    if (refused === undefined) return undefined;
    heraldMetrics().sipThrottled('source-rate');
    if (refused.first) {
      this.logger.warn('EDGE_SOURCE_THROTTLED', 'a source is over its requests in the window: 503', {
        source: flow.remote.address,
        retryAfterSeconds: refused.retryAfterSeconds,
      });
    }
    return serviceUnavailable(request, 'Rate Limited (source)', refused.retryAfterSeconds);
  }

  /** 503 for credentials of an (account, source) that backs off; undefined when they may go to auth. */
  refuseCredentials(request: SipRequest, aor: string, flow: Flow): SipResponse | undefined {
    const retryAfterSeconds = this.guard.accountRetryAfter(aor, flow.remote.address);
    if (retryAfterSeconds === undefined) return undefined;
    heraldMetrics().sipThrottled('account-backoff');
    return serviceUnavailable(request, 'Rate Limited (failed authentications)', retryAfterSeconds);
  }

  /** Counts auth's decision on a REGISTER's credentials: 401 and 403 are failures, 200 a success. */
  decided(aor: string, flow: Flow, status: number): void {
    const address = flow.remote.address;
    if (status === 200) {
      this.guard.authSucceeded(aor, address);
      return;
    }
    if (status !== 401 && status !== 403) return;
    const outcome = this.guard.authFailed(aor, address);
    if (outcome.backoffMs !== undefined) {
      this.logger.info(
        'EDGE_ACCOUNT_BACKOFF',
        'an (account, source) backs off after failed authentications',
        {
          aor,
          source: address,
          failures: outcome.accountFailures,
          backoffMs: outcome.backoffMs,
        },
      );
    }
    if (outcome.banned !== undefined) {
      const { source, failures, expiresAt } = outcome.banned;
      this.logger.warn('EDGE_SOURCE_BANNED', 'a source is banned: dropped silently until then', {
        source,
        failures,
        until: new Date(expiresAt).toISOString(),
      });
    }
  }

  /** Lifts a ban (admin API); undefined when the source was not banned. */
  lift(source: string): Ban | undefined {
    const ban = this.guard.lift(source);
    if (ban !== undefined) {
      this.logger.warn('EDGE_SOURCE_BAN_LIFTED', 'a ban was lifted by the admin API', { source: ban.source });
    }
    return ban;
  }
}
