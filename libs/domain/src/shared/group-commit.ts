/**
 * Group commit for a service's handlers. The bus hands records of different keys to their handlers
 * concurrently; each handler submits its item here and awaits its own result, and every item
 * submitted while one group is being flushed goes into the next group: ONE transaction and ONE
 * publish for the group instead of one per item. A group starts once the event loop has run what
 * it was running (setImmediate): the bus hands every run of a fetched batch to its handler in one
 * turn, so they all go into the first group (a few microseconds of latency, none of waiting for
 * time). At low load a group is one item; under load groups grow with the backlog and the cost
 * per item falls. A handler still resolves only once its item is durable, so the bus commits
 * no offset early, and the bus never runs two records of one key at once, so per-key order holds.
 *
 * A group that fails is flushed again item by item, each item settling alone: one poison item
 * fails only its own handler (which the bus retries), never the items grouped with it.
 */
export class GroupCommit<T, R> {
  private waiting: Array<Submitted<T, R>> = [];
  private flushing: Promise<void> | undefined;

  /**
   * @param flushGroup handles a group in one transaction; returns one result per item, in order.
   * @param maxGroupItems the largest group flushed at once (the rest waits for the next group).
   */
  constructor(
    private readonly flushGroup: (items: ReadonlyArray<T>) => Promise<R[]>,
    private readonly maxGroupItems = GROUP_COMMIT_MAX_ITEMS,
  ) {
    if (!Number.isInteger(maxGroupItems) || maxGroupItems < 1) {
      throw new RangeError(`a group must hold at least one item, got maxGroupItems ${maxGroupItems}`);
    }
  }

  /** Resolves with the item's result once its group is committed; rejects with its own failure. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.flushing ??= this.gatherThenFlush();
    });
  }

  /** Resolves when every item submitted so far has settled. */
  async idle(): Promise<void> {
    while (this.flushing !== undefined) {
      await this.flushing;
    }
  }

  private async gatherThenFlush(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.flushWaiting();
  }

  private async flushWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.maxGroupItems);
      try {
        const results = await this.flushChecked(group.map((submitted) => submitted.item));
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

  private async flushChecked(items: ReadonlyArray<T>): Promise<R[]> {
    const results = await this.flushGroup(items);
    if (results.length !== items.length) {
      throw new RangeError(`a group of ${items.length} items returned ${results.length} results`);
    }
    return results;
  }

  private async flushAlone(group: ReadonlyArray<Submitted<T, R>>): Promise<void> {
    for (const submitted of group) {
      try {
        const [result] = await this.flushChecked([submitted.item]);
        submitted.resolve(result as R);
      } catch (error) {
        submitted.reject(error);
      }
    }
  }
}

/** Default largest group: bounds one transaction's statements' array parameters and lock count. */
export const GROUP_COMMIT_MAX_ITEMS = 256;

interface Submitted<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}
