import { codedWarner, RateLimitedWarnings } from '#herald/observability';
import type { Logger } from 'pino';
import { EDGE_LINK_WARNING_INTERVAL_MS } from './link-timing';

/** Closings that are part of normal life: a peer that left, a stop, a refusal the sender falls back from. */
const ORDINARY_CLOSE_CODES = new Set([
  'EDGE_LINK_CLOSED',
  'EDGE_LINK_CLOSED_BY_PEER',
  'EDGE_LINK_STOPPED',
  'EDGE_LINK_REFUSED',
]);

/** The warn lines of the link, rate-limited per reason: a dead edge would otherwise write one per publish. */
export class LinkWarnings {
  private readonly warner;
  private readonly warnings;
  /** EDGE_LINK_FALLBACK lines are limited per reason: one limiter each (they share the line's code). */
  private readonly fallbacks = new Map<string, RateLimitedWarnings>();

  constructor(private readonly logger: Logger) {
    this.warner = codedWarner(logger);
    this.warnings = new RateLimitedWarnings(this.warner, EDGE_LINK_WARNING_INTERVAL_MS);
  }

  /** Records went (or go) to Kafka instead of the link, for `reason` (a stable EDGE_LINK_ code). */
  fallback(reason: string, fields: Readonly<Record<string, unknown>>): void {
    let limiter = this.fallbacks.get(reason);
    if (limiter === undefined) {
      limiter = new RateLimitedWarnings(this.warner, EDGE_LINK_WARNING_INTERVAL_MS);
      this.fallbacks.set(reason, limiter);
    }
    limiter.warn('EDGE_LINK_FALLBACK', 'edge link records fall back to Kafka', { ...fields, reason });
  }

  /** A connection closed: ordinary closings at debug, the others (refused hello, bad frame, timeout) as warnings. */
  closed(code: string, error: unknown, fields: Readonly<Record<string, unknown>>): void {
    if (ORDINARY_CLOSE_CODES.has(code)) {
      this.logger.debug({ ...fields, code, err: error }, 'edge link connection closed');
      return;
    }
    this.warnings.warn(code, 'edge link connection closed', { ...fields, err: error });
  }
}
