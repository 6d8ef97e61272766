/**
 * Group commit for a service's handlers. The bus hands records of different keys to their handlers
 * concurrently; each handler submits its item here and awaits its own result, and every item
 * submitted while one group is being flushed goes into the next group: ONE transaction and ONE
 * publish for the group instead of one per item. Each group starts once the event loop has run
 * what it was running (setImmediate): the bus hands every run of a fetched batch to its handler in
 * one turn, and the next run of each key of the previous group a few promise hops after its
 * handler resolved, so they all go into the group (a few microseconds of latency, none of waiting
 * for time). At low load a group is one item; under load groups grow with the backlog and the cost
 * per item falls. A handler still resolves only once its item is durable and its group's publish
 * done, so the bus commits no offset early, and the bus never runs two records of one key at once,
 * so per-key order holds.
 *
 * The next group starts once the group's publish is done, not at its commit: overlapping the two
 * was measured slower, in both CPU and latency with every record fetched from Kafka (the fetch
 * pacing timing its fetches to the ends of groups), and in CPU with the requests over the edge
 * link (more, smaller groups), at no lower latency (bench/README.md, Sessions 14 and 15).
 *
 * A group that fails, in its transaction or its publish, is flushed again item by item, each item
 * settling alone: one poison item fails only its own handler (which the bus retries), never the
 * items grouped with it.
 */
export class GroupCommit<T, R> {
  private waiting: Array<Submitted<T, R>> = [];
  private flushing: Promise<void> | undefined;
  private readonly maxGroupItems: number;
  private readonly observe: GroupObserver | undefined;
  private readonly deferrable: ((item: T) => boolean) | undefined;
  private readonly deferMs: number;
  /** Ends a deferral early: an item that may not wait was submitted. */
  private endDeferral: (() => void) | undefined;

  /**
   * @param flushGroup handles a group in one transaction; returns one result per item, in order,
   * and what the group publishes after its commit.
   */
  constructor(
    private readonly flushGroup: (items: ReadonlyArray<T>) => Promise<FlushedGroup<R>>,
    options: GroupCommitOptions<T> = {},
  ) {
    this.maxGroupItems = options.maxGroupItems ?? GROUP_COMMIT_MAX_ITEMS;
    this.observe = options.observe;
    this.deferrable = options.deferrable;
    this.deferMs = options.deferMs ?? GROUP_COMMIT_DEFER_MS;
    if (!Number.isInteger(this.maxGroupItems) || this.maxGroupItems < 1) {
      throw new RangeError(`a group must hold at least one item, got maxGroupItems ${this.maxGroupItems}`);
    }
  }

  /** Resolves with the item's result once its group is committed and published; rejects with its own failure. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.endDeferral !== undefined && !this.deferrable!(item)) this.endDeferral();
      this.flushing ??= this.flushWaiting();
    });
  }

  /** Resolves when every item submitted so far has settled. */
  async idle(): Promise<void> {
    while (this.flushing !== undefined) {
      await this.flushing;
    }
  }

  private async flushWaiting(): Promise<void> {
    for (;;) {
      // Before every group, not only the first: a key's next record is submitted a few promise
      // hops after its run resolved (the bus runs a key's records one at a time), so a group
      // taken at once would leave every key of the group just published out of the next one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.waiting.length === 0) break;
      await this.deferWhileAllMayWait();
      const group = this.waiting.splice(0, this.maxGroupItems);
      try {
        const results = await this.flushThenPublish(group.map((submitted) => submitted.item));
        group.forEach((submitted, index) => submitted.resolve(results[index] as R));
      } catch (error) {
        if (group.length === 1) {
          group[0]!.reject(error);
        } else {
          await this.flushAlone(group);
        }
      }
    }
    this.flushing = undefined;
  }

  /**
   * A group of items that may wait (`deferrable`) starts up to deferMs later, at once when an item
   * that may not wait comes (then after that item's turn, so what came with it joins): the
   * deferred items ride in that item's transaction instead of a transaction of their own.
   */
  private async deferWhileAllMayWait(): Promise<void> {
    const { deferrable } = this;
    if (deferrable === undefined || this.deferMs <= 0) return;
    if (!this.waiting.every((submitted) => deferrable(submitted.item))) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => end(), this.deferMs);
      const end = (): void => {
        clearTimeout(timer);
        this.endDeferral = undefined;
        resolve();
      };
      this.endDeferral = end;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** One group: its transaction, then its publish; each phase told to the observer. */
  private async flushThenPublish(items: ReadonlyArray<T>): Promise<R[]> {
    const startedAt = performance.now();
    const flushed = await this.flushGroup(items);
    if (flushed.results.length !== items.length) {
      throw new RangeError(`a group of ${items.length} items returned ${flushed.results.length} results`);
    }
    const committedAt = performance.now();
    this.observe?.transaction(items.length, committedAt - startedAt);
    if (flushed.publish !== undefined) {
      await flushed.publish();
      this.observe?.published(performance.now() - committedAt);
    }
    return flushed.results;
  }

  private async flushAlone(group: ReadonlyArray<Submitted<T, R>>): Promise<void> {
    for (const submitted of group) {
      try {
        const [result] = await this.flushThenPublish([submitted.item]);
        submitted.resolve(result as R);
      } catch (error) {
        submitted.reject(error);
      }
    }
  }
}

/** What a group's flush returns once its transaction committed. */
export interface FlushedGroup<R> {
  /** One result per item, in order. */
  readonly results: R[];
  /**
   * Sends what the group sends once committed; the group's items resolve once it resolved. A
   * rejection flushes the group's items again one at a time.
   */
  readonly publish?: () => Promise<void>;
}

export interface GroupCommitOptions<T = unknown> {
  /** The largest group flushed at once (the rest waits for the next group). */
  maxGroupItems?: number;
  /** Told of each group that committed and published (e.g. metrics). */
  observe?: GroupObserver;
  /**
   * Items whose handling may wait up to deferMs for an item that may not (deferWhileAllMayWait):
   * e.g. push outcomes, whose group can be an IM's transaction instead of one of their own.
   */
  deferrable?: (item: T) => boolean;
  /** How long a group of deferrable items alone waits at most (default GROUP_COMMIT_DEFER_MS). */
  deferMs?: number;
}

/** What an operator sees of the groups: how large they grow under load, and how long each phase takes. */
export interface GroupObserver {
  /** A group of `items` committed, `ms` after it started. */
  transaction(items: number, ms: number): void;
  /** A group's publish after its commit took `ms`. */
  published(ms: number): void;
}

/** Default largest group: bounds one transaction's statements' array parameters and lock count. */
export const GROUP_COMMIT_MAX_ITEMS = 256;

/**
 * Default longest wait of a group of deferrable items alone: under load an item that may not wait
 * comes well within it (at 750 IM/s, every 1.3 ms), at low load it bounds the delay it adds.
 */
export const GROUP_COMMIT_DEFER_MS = 5;

interface Submitted<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}
