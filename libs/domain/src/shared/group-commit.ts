/**
 * Group commit for a service's handlers. The bus hands records of different keys to their handlers
 * concurrently; each handler submits its item here and awaits its own result, and every item
 * submitted while one group is being flushed goes into the next group: ONE transaction and ONE
 * publish for the group instead of one per item. A group starts once the event loop has run what
 * it was running (setImmediate): the bus hands every run of a fetched batch to its handler in one
 * turn, so they all go into the first group (a few microseconds of latency, none of waiting for
 * time). At low load a group is one item; under load groups grow with the backlog and the cost
 * per item falls. A handler still resolves only once its item is durable and its group's publish
 * done, so the bus commits no offset early, and the bus never runs two records of one key at once,
 * so per-key order holds.
 *
 * A group's publish (FlushedGroup.publish) overlaps the next group's transaction: the next group
 * does not wait for the edge or the broker to take the previous one's records, only for its
 * commit. Publishes stay one at a time, in group order, so what a later group sends (a `delivered`
 * notice) never overtakes what an earlier one sent (the result it follows).
 *
 * A group that fails, in its transaction or its publish, is flushed again item by item, each item
 * settling alone: one poison item fails only its own handler (which the bus retries), never the
 * items grouped with it.
 */
export class GroupCommit<T, R> {
  private waiting: Array<Submitted<T, R>> = [];
  private flushing: Promise<void> | undefined;
  /** The last group's publish (and those before it); settles, never rejects. */
  private publishing: Promise<void> | undefined;
  /** Wakes the flush loop waiting for a publish when an item is submitted meanwhile. */
  private wakeOnSubmit: (() => void) | undefined;

  private readonly maxGroupItems: number;
  private readonly observe: GroupObserver | undefined;

  /**
   * @param flushGroup handles a group in one transaction; returns one result per item, in order,
   * and what the group publishes after its commit.
   */
  constructor(
    private readonly flushGroup: (items: ReadonlyArray<T>) => Promise<FlushedGroup<R>>,
    options: GroupCommitOptions = {},
  ) {
    this.maxGroupItems = options.maxGroupItems ?? GROUP_COMMIT_MAX_ITEMS;
    this.observe = options.observe;
    if (!Number.isInteger(this.maxGroupItems) || this.maxGroupItems < 1) {
      throw new RangeError(`a group must hold at least one item, got maxGroupItems ${this.maxGroupItems}`);
    }
  }

  /** Resolves with the item's result once its group is committed and published; rejects with its own failure. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.wakeOnSubmit?.();
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
      await gathered();
      if (this.waiting.length === 0) {
        if (this.publishing === undefined) break;
        await this.publishedOrSubmitted(this.publishing);
        continue;
      }
      const group = this.waiting.splice(0, this.maxGroupItems);
      const startedAt = performance.now();
      let flushed: FlushedGroup<R>;
      try {
        flushed = await this.flushChecked(group.map((submitted) => submitted.item));
      } catch (error) {
        await this.publishing;
        await this.settleAlone(group, error);
        continue;
      }
      this.observe?.transaction(group.length, performance.now() - startedAt);
      this.publishing = this.publishAfter(this.publishing, group, flushed);
    }
    this.flushing = undefined;
  }

  /** Chains the group's publish after the previous group's; settles its items when it is done. */
  private publishAfter(
    previous: Promise<void> | undefined,
    group: ReadonlyArray<Submitted<T, R>>,
    flushed: FlushedGroup<R>,
  ): Promise<void> {
    const published = (async (): Promise<void> => {
      await previous;
      if (flushed.publish !== undefined) {
        const startedAt = performance.now();
        try {
          await flushed.publish();
        } catch (error) {
          await this.settleAlone(group, error);
          return;
        }
        this.observe?.published(performance.now() - startedAt);
      }
      group.forEach((submitted, index) => submitted.resolve(flushed.results[index] as R));
    })();
    void published.finally(() => {
      if (this.publishing === published) this.publishing = undefined;
    });
    return published;
  }

  /** Resolves when `publishing` settled or an item was submitted, whichever comes first. */
  private async publishedOrSubmitted(publishing: Promise<void>): Promise<void> {
    await Promise.race([publishing, new Promise<void>((resolve) => (this.wakeOnSubmit = resolve))]);
    this.wakeOnSubmit = undefined;
  }

  private async flushChecked(items: ReadonlyArray<T>): Promise<FlushedGroup<R>> {
    const flushed = await this.flushGroup(items);
    if (flushed.results.length !== items.length) {
      throw new RangeError(`a group of ${items.length} items returned ${flushed.results.length} results`);
    }
    return flushed;
  }

  /** A failed group: a lone item fails; the items of a larger one are flushed one at a time. */
  private async settleAlone(group: ReadonlyArray<Submitted<T, R>>, error: unknown): Promise<void> {
    if (group.length === 1) {
      group[0]!.reject(error);
      return;
    }
    for (const submitted of group) {
      try {
        const flushed = await this.flushChecked([submitted.item]);
        await flushed.publish?.();
        submitted.resolve(flushed.results[0] as R);
      } catch (itemError) {
        submitted.reject(itemError);
      }
    }
  }
}

/** What a group's flush returns once its transaction committed. */
export interface FlushedGroup<R> {
  /** One result per item, in order. */
  readonly results: R[];
  /**
   * Sends what the group sends once committed. The next group's transaction runs meanwhile; the
   * group's items resolve once it resolved, and the publishes of successive groups run one at a
   * time, in order. A rejection flushes the group's items again one at a time.
   */
  readonly publish?: () => Promise<void>;
}

export interface GroupCommitOptions {
  /** The largest group flushed at once (the rest waits for the next group). */
  maxGroupItems?: number;
  /** Told of each group that committed and published (e.g. metrics). */
  observe?: GroupObserver;
}

/** What an operator sees of the groups: how large they grow under load, and how long each phase takes. */
export interface GroupObserver {
  /** A group of `items` committed, `ms` after it started. */
  transaction(items: number, ms: number): void;
  /** A group's publish after its commit took `ms` (from its start, after the previous group's). */
  published(ms: number): void;
}

/** Default largest group: bounds one transaction's statements' array parameters and lock count. */
export const GROUP_COMMIT_MAX_ITEMS = 256;

/** Resolves once the event loop ran what it was running: the items submitted in that turn. */
function gathered(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

interface Submitted<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}
