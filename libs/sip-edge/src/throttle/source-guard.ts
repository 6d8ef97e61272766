import { BoundedTable } from './bounded-table';
import { sourceKeyOf } from './source-address';

/** The thresholds (docs/configuration.md, "Password guessing and floods"), in milliseconds. */
export interface ThrottleLimits {
  /** The window request and failure counts of a source run over. */
  windowMs: number;
  /** Requests per source and window; more get 503 with Retry-After until the window ends. */
  sourceMaxRequests: number;
  /** Failed authentications per source and window that ban it. */
  sourceMaxAuthFailures: number;
  /** How long a ban drops everything from its source. */
  banMs: number;
  /** Failed authentications of one (account, source) before each further one backs off. */
  accountFreeFailures: number;
  /** The longest back-off of one (account, source). */
  accountBackoffMaxMs: number;
  /** Entries each table (sources, accounts, bans) holds at most. */
  maxEntries: number;
}

/** The first back-off; each further failure doubles it. */
export const ACCOUNT_BACKOFF_BASE_MS = 1000;

/** A banned source, as the admin API lists it. */
export interface Ban {
  source: string;
  since: number;
  expiresAt: number;
  /** Failed authentications in the window that banned it. */
  failures: number;
}

/** What a failed authentication led to. */
export interface FailureOutcome {
  /** Set when this failure banned the source. */
  banned?: Ban;
  /** Set when the (account, source) now backs off: further credentials are refused this long. */
  backoffMs?: number;
  /** Failures of the (account, source) so far. */
  accountFailures: number;
}

interface SourceWindow {
  requests: number;
  failures: number;
  expiresAt: number;
}

interface AccountFailures {
  failures: number;
  lockedUntil: number;
  expiresAt: number;
}

/** Which table filled up (for EDGE_THROTTLE_TABLE_FULL). */
export type ThrottleTable = 'sources' | 'accounts' | 'bans';

/**
 * Per-source-address and per-(account, source) abuse limits of one edge (issue 14; Kamailio
 * `pike`, ejabberd `mod_fail2ban`). A source is an IPv4 address or an IPv6 /64, across all its
 * ports and transports. Too many requests in a window: 503 until it ends; too many failed
 * authentications in a window: banned (dropped silently) for the ban period. An account's failed
 * authentications back off exponentially, counted per source, so guessing from one address cannot
 * lock the real user out from another. All state is in memory, each table capped.
 */
export class SourceGuard {
  private readonly sources: BoundedTable<SourceWindow>;
  private readonly accounts: BoundedTable<AccountFailures>;
  private readonly bans: BoundedTable<Ban>;

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number,
    onTableFull: (table: ThrottleTable, evicted: number) => void,
  ) {
    this.sources = new BoundedTable(limits.maxEntries, (n) => onTableFull('sources', n));
    this.accounts = new BoundedTable(limits.maxEntries, (n) => onTableFull('accounts', n));
    this.bans = new BoundedTable(limits.maxEntries, (n) => onTableFull('bans', n));
  }

  /** True while the source of `address` is banned: everything from it is dropped unanswered. */
  isBanned(address: string): boolean {
    // No ban at all (the usual case) costs no lookup.
    return this.bans.size > 0 && this.bans.get(sourceKeyOf(address), this.now()) !== undefined;
  }

  /**
   * Counts one request of the source of `address`; undefined when it may go on, otherwise the
   * Retry-After seconds of its 503 (the rest of the window), and whether this is the first refusal
   * of the window (worth a log line).
   */
  takeRequest(address: string): { retryAfterSeconds: number; first: boolean } | undefined {
    const now = this.now();
    const window = this.windowOf(sourceKeyOf(address), now);
    window.requests += 1;
    if (window.requests <= this.limits.sourceMaxRequests) return undefined;
    return {
      retryAfterSeconds: secondsUntil(window.expiresAt, now),
      first: window.requests === this.limits.sourceMaxRequests + 1,
    };
  }

  /** Retry-After seconds while the (account, source) backs off; undefined when it may try. */
  accountRetryAfter(aor: string, address: string): number | undefined {
    // No failures anywhere (the usual case) costs no key and no lookup on every REGISTER.
    if (this.accounts.size === 0) return undefined;
    const now = this.now();
    const entry = this.accounts.get(accountKey(aor, address), now);
    if (entry === undefined || entry.lockedUntil <= now) return undefined;
    return secondsUntil(entry.lockedUntil, now);
  }

  /** Auth refused credentials (401 or 403) for `aor` from `address`. */
  authFailed(aor: string, address: string): FailureOutcome {
    const now = this.now();
    const source = sourceKeyOf(address);
    const account = this.accountFailuresOf(accountKey(aor, address), now);
    account.failures += 1;
    const beyond = account.failures - this.limits.accountFreeFailures;
    const backoffMs =
      beyond > 0
        ? Math.min(this.limits.accountBackoffMaxMs, ACCOUNT_BACKOFF_BASE_MS * 2 ** (beyond - 1))
        : undefined;
    if (backoffMs !== undefined) account.lockedUntil = now + backoffMs;
    // Forgotten once a whole window passed after its last failure and its back-off.
    account.expiresAt = Math.max(now, account.lockedUntil) + this.limits.windowMs;
    const window = this.windowOf(source, now);
    window.failures += 1;
    const outcome: FailureOutcome = {
      accountFailures: account.failures,
      ...(backoffMs === undefined ? {} : { backoffMs }),
    };
    if (window.failures < this.limits.sourceMaxAuthFailures || this.bans.get(source, now) !== undefined) {
      return outcome;
    }
    const ban: Ban = { source, since: now, expiresAt: now + this.limits.banMs, failures: window.failures };
    this.bans.add(source, ban, now);
    // Counting starts over when the ban ends.
    this.sources.delete(source);
    return { ...outcome, banned: ban };
  }

  /** Auth accepted credentials for `aor` from `address`: that pair's failures are forgotten. */
  authSucceeded(aor: string, address: string): void {
    if (this.accounts.size > 0) this.accounts.delete(accountKey(aor, address));
  }

  /** The bans in force, oldest first. */
  activeBans(): Ban[] {
    return [...this.bans.live(this.now())].map(([, ban]) => ({ ...ban }));
  }

  /** Bans in force (for the herald_sip_bans_active gauge). */
  get bansActive(): number {
    return this.activeBans().length;
  }

  /**
   * Lifts the ban of `source` (an address or a key as listed: a /64 or any address in it); the
   * source's counts start over. Undefined when it was not banned.
   */
  lift(source: string): Ban | undefined {
    const key = sourceKeyOf(source.endsWith('::/64') ? source.slice(0, -'/64'.length) : source);
    const ban = this.bans.get(key, this.now());
    if (ban === undefined) return undefined;
    this.bans.delete(key);
    this.sources.delete(key);
    return ban;
  }

  private windowOf(source: string, now: number): SourceWindow {
    const existing = this.sources.get(source, now);
    if (existing !== undefined) return existing;
    const window = { requests: 0, failures: 0, expiresAt: now + this.limits.windowMs };
    this.sources.add(source, window, now);
    return window;
  }

  private accountFailuresOf(key: string, now: number): AccountFailures {
    const existing = this.accounts.get(key, now);
    if (existing !== undefined) return existing;
    const entry = { failures: 0, lockedUntil: 0, expiresAt: now + this.limits.windowMs };
    this.accounts.add(key, entry, now);
    return entry;
  }
}

/** One (account, source) pair. */
function accountKey(aor: string, address: string): string {
  return `${aor} ${sourceKeyOf(address)}`;
}

/** Whole seconds until `at`, at least 1 (Retry-After). */
function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}
