/**
 * Entries dropped from the head before the backing array is compacted: below this, dropped slots
 * just stay (cheaper than copying a small array again and again).
 */
const COMPACT_MIN_DROPPED = 1_024;

/**
 * An append-only log with absolute offsets that can drop its head: an entry keeps the offset it
 * was appended at for as long as it is retained. Dropping is amortized O(1) per entry: the backing
 * array is cut only once at least half of it (and at least COMPACT_MIN_DROPPED entries) is dropped.
 */
export class PartitionLog<T> {
  /** Dropped slots before `head` are cleared, so a dropped entry is never kept alive. */
  private entries: Array<T | undefined> = [];
  /** Index in `entries` of the first retained entry. */
  private head = 0;
  /** Offset of `entries[0]`. */
  private arrayBaseOffset = 0;

  /** Offset of the first retained entry (the end offset when none is retained). */
  get startOffset(): number {
    return this.arrayBaseOffset + this.head;
  }

  /** Offset the next appended entry gets. */
  get endOffset(): number {
    return this.arrayBaseOffset + this.entries.length;
  }

  /** Entries retained. */
  get size(): number {
    return this.entries.length - this.head;
  }

  /** Appends `entry` and returns its offset. */
  append(entry: T): number {
    this.entries.push(entry);
    return this.endOffset - 1;
  }

  /** The entry at `offset`, or undefined when it was dropped or not appended yet. */
  at(offset: number): T | undefined {
    if (offset < this.startOffset || offset >= this.endOffset) {
      return undefined;
    }
    return this.entries[offset - this.arrayBaseOffset];
  }

  /** Retained entries from `fromOffset` (or the start offset, if later) to before `toOffset`. */
  slice(fromOffset: number, toOffset: number): T[] {
    const from = Math.max(fromOffset, this.startOffset) - this.arrayBaseOffset;
    // Slots from `head` on are all set.
    return this.entries.slice(from, Math.max(from, toOffset - this.arrayBaseOffset)) as T[];
  }

  /** Drops every entry before `offset` (clamped to the end offset); a lower offset does nothing. */
  dropBefore(offset: number): void {
    const head = Math.min(offset, this.endOffset) - this.arrayBaseOffset;
    if (head <= this.head) {
      return;
    }
    this.entries.fill(undefined, this.head, head);
    this.head = head;
    if (this.head >= COMPACT_MIN_DROPPED && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.arrayBaseOffset += this.head;
      this.head = 0;
    }
  }
}
