import type { GroupOffset } from './journal-store';

/**
 * The handled offsets of a journaled bus's groups, stored at most once per interval: what was
 * handled meanwhile goes in one statement, the highest offset per group and topic-partition. A
 * restart replays at most an interval's records more than it would with one statement per
 * handled batch, and handlers are idempotent, so storing them later loses nothing.
 */
export class JournalOffsetCommits {
  private readonly waiting = new Map<string, GroupOffset>();
  private timer: NodeJS.Timeout | undefined;
  private storing: Promise<void> | undefined;
  private lastStoreAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: (offsets: ReadonlyArray<GroupOffset>) => Promise<void>,
    private readonly intervalMs: number,
    /** Told of each offset a failed statement held: the group's next stored offset covers it. */
    private readonly onError: (error: unknown, offset: GroupOffset) => void,
  ) {}

  /** `offset` and everything before it on its partition is handled by its group. */
  handled(offset: GroupOffset): void {
    const key = `${offset.groupId}/${offset.topic}/${offset.partition}`;
    const known = this.waiting.get(key);
    if (known === undefined || known.lastId < offset.lastId) this.waiting.set(key, offset);
    this.schedule();
  }

  /** Stores every offset waiting now at once; resolves when nothing is waiting or being stored. */
  async idle(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.storing !== undefined || this.waiting.size > 0) {
      await (this.storing ?? this.storeWaiting());
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.storing !== undefined || this.waiting.size === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.storeWaiting();
      },
      Math.max(0, this.lastStoreAt + this.intervalMs - Date.now()),
    );
  }

  private storeWaiting(): Promise<void> {
    const offsets = [...this.waiting.values()];
    this.waiting.clear();
    this.lastStoreAt = Date.now();
    const storing = this.store(offsets)
      .catch((error: unknown) => offsets.forEach((offset) => this.onError(error, offset)))
      .finally(() => {
        this.storing = undefined;
        this.schedule();
      });
    this.storing = storing;
    return storing;
  }
}
