/**
 * `new Date(epochMs).toISOString()`, with the part up to the second (`2026-12-07T10:36:05`) kept
 * from the previous call: V8's toISOString was ~8,000 instructions of the ~14,000 that stamping an
 * event cost, and every event is stamped (the edge stamps two per IM). Exactly toISOString's text
 * for every time a Date holds; only the milliseconds are written here.
 */
export function isoTimestamp(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== cachedSecond) {
    const iso = new Date(epochMs).toISOString();
    // toISOString always ends in `.sssZ`; the year may have 4 digits or a sign and 6.
    cachedPrefix = iso.slice(0, -5);
    cachedSecond = second;
  }
  const millis = epochMs - second * 1000;
  return `${cachedPrefix}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** The current time as toISOString writes it. */
export function isoNow(): string {
  return isoTimestamp(Date.now());
}
