/**
 * The one lock order: every transaction that takes several locks of one kind (recipient locks,
 * command claims) takes them sorted by key, by UTF-16 code units, so two transactions never wait
 * for each other in a cycle, whatever replica or group runs them.
 */
export function lockOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The distinct keys in lock order. */
export function inLockOrder(keys: Iterable<string>): string[] {
  return [...new Set(keys)].sort(lockOrder);
}
