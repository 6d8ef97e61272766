/** RFC 3261 §17.1.1.1 defaults: round-trip estimate, maximum retransmit interval, network lifetime. */
export const DEFAULT_T1_MS = 500;
export const DEFAULT_T2_MS = 4000;
export const DEFAULT_T4_MS = 5000;
/** Timer F (and B, J) is 64*T1 (RFC 3261 §17.1.2.2, table 4). */
export const TIMEOUT_T1_MULTIPLE = 64;

export interface TransactionTimerOptions {
  t1Ms?: number;
  t2Ms?: number;
  t4Ms?: number;
  /** Timer F; defaults to 64*T1. */
  timeoutMs?: number;
  /** Maximum number of retransmissions of a request over an unreliable transport (unlimited until F by default). */
  maxRetransmissions?: number;
}

export interface TransactionTimers {
  t1Ms: number;
  t2Ms: number;
  t4Ms: number;
  timeoutMs: number;
  maxRetransmissions: number;
}

export function resolveTransactionTimers(options: TransactionTimerOptions = {}): TransactionTimers {
  const t1Ms = options.t1Ms ?? DEFAULT_T1_MS;
  const timers = {
    t1Ms,
    t2Ms: options.t2Ms ?? DEFAULT_T2_MS,
    t4Ms: options.t4Ms ?? DEFAULT_T4_MS,
    timeoutMs: options.timeoutMs ?? TIMEOUT_T1_MULTIPLE * t1Ms,
    maxRetransmissions: options.maxRetransmissions ?? Number.POSITIVE_INFINITY,
  };
  for (const [name, value] of Object.entries(timers)) {
    if (!(value >= 0)) throw new RangeError(`transaction timer ${name} must be a non-negative number`);
  }
  return timers;
}
