/** Below this many entries a table never scans for expired ones. */
export const SCAN_THRESHOLD_ENTRIES = 1_000;

/**
 * A Map whose entries expire (an entry past `expiresAt` reads as absent) and whose size is capped.
 * Expired entries are dropped in amortized scans (the next scan waits until the table doubled);
 * when the table is full of live entries, the ones inserted first are forgotten, an eighth of the
 * cap at once so the scan is not repeated per insert. Counting for a forgotten key starts over.
 */
export class BoundedTable<V extends { expiresAt: number }> {
  private readonly entries = new Map<string, V>();
  private scanAt: number;

  constructor(
    private readonly maxEntries: number,
    /** Told how many live entries a full table forgot (for a log line). */
    private readonly onFull: (evicted: number) => void,
  ) {
    this.scanAt = Math.min(SCAN_THRESHOLD_ENTRIES, maxEntries);
  }

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt > now) return entry;
    this.entries.delete(key);
    return undefined;
  }

  /** Adds a new key (an existing one is updated in place through `get`). */
  add(key: string, entry: V, now: number): void {
    if (this.entries.size >= this.scanAt) this.makeRoom(now);
    this.entries.set(key, entry);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  /** Live entries, oldest first. */
  *live(now: number): IterableIterator<[string, V]> {
    for (const pair of this.entries) if (pair[1].expiresAt > now) yield pair;
  }

  /** Entries held, expired ones not yet scanned included. */
  get size(): number {
    return this.entries.size;
  }

  private makeRoom(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      let evict = this.entries.size - Math.floor((this.maxEntries * 7) / 8);
      const evicted = evict;
      for (const key of this.entries.keys()) {
        if (evict-- <= 0) break;
        this.entries.delete(key);
      }
      this.onFull(evicted);
    }
    this.scanAt = Math.min(this.maxEntries, Math.max(SCAN_THRESHOLD_ENTRIES, 2 * this.entries.size));
  }
}
