export interface ReconnectPolicy {
  /** Wait before the first attempt, in ms (default 500). */
  initialDelayMs?: number;
  /** Longest wait between attempts, in ms (default 15,000). */
  maxDelayMs?: number;
}

/** The wait before reconnection attempt `attempt` (0-based): doubling from the initial delay up to the maximum. */
export function reconnectDelay(attempt: number, policy: ReconnectPolicy = {}): number {
  const initial = policy.initialDelayMs ?? 500;
  const max = policy.maxDelayMs ?? 15_000;
  return Math.min(max, initial * 2 ** Math.min(attempt, 30));
}
