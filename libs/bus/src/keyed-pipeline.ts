import type { ConcurrencyLimit } from './keyed-concurrency';

export interface KeyedPipelineOptions<R> {
  keyOf(record: R): string;
  /** Shared by every pipeline of one consumer: bounds its runs in progress. */
  limit: ConcurrencyLimit;
  /** Largest run handed to `handle`; 1 hands every record alone. */
  maxRunRecords: number;
  /**
   * Handles a run (1..maxRunRecords consecutive records of one key, in offset order), calling
   * `onHandled` for each record handled, in order. Resolves false when it stopped before the end of
   * the run (the consumer stops): its key stops there.
   */
  handle(run: ReadonlyArray<R>, onHandled: (record: R) => void): Promise<boolean>;
  /** Checked before each run: true once the consumer stops or lost the partition. */
  shouldStop(): boolean;
  /** `record` and every record added before it are handled: commit up to it. Called in order. */
  onHandledThrough(record: R): void;
  /** A run threw, which `handle` never should (it reports failures by resolving false): a bug. */
  onUnexpectedError(error: unknown): void;
}

interface Entry<R> {
  record: R;
  handled: boolean;
}

/** Handled entries dropped from the front of `order` at once, beyond this many. */
const COMPACT_AFTER_ENTRIES = 1_024;

/**
 * One partition's records, handled as they are added, across fetches: records of one key one run
 * after the other in offset order, records of different keys concurrently (within `limit`). Unlike
 * a batch that ends when all its keys are done, a record added while other keys are still busy
 * starts at once when its own key is free, so a consumer fetches again without waiting for its
 * slowest handler. A key's run is every record of it waiting when its previous run finished (up to
 * maxRunRecords). Only the contiguous prefix of handled records is reported to `onHandledThrough`,
 * so a record being retried (or abandoned at stop) is never committed past.
 */
export class KeyedPipeline<R> {
  /** Keys with a run in progress, each with its records still waiting (in offset order). */
  private readonly busyKeys = new Map<string, R[]>();
  /** Records added and not yet reported handled through, in offset order, from `head`. */
  private order: Array<Entry<R>> = [];
  private head = 0;
  private readonly entries = new Map<R, Entry<R>>();
  private readonly inProgress = new Set<Promise<void>>();

  constructor(private readonly options: KeyedPipelineOptions<R>) {
    const { maxRunRecords } = options;
    if (!Number.isInteger(maxRunRecords) || maxRunRecords < 1) {
      throw new RangeError(`a run must hold at least one record, got maxRunRecords ${maxRunRecords}`);
    }
  }

  /** Records added and not yet handled through. */
  get pending(): number {
    return this.order.length - this.head;
  }

  /** Adds records that follow every record added before, in offset order, and starts the free keys. */
  add(records: ReadonlyArray<R>): void {
    const freed: Array<R[]> = [];
    for (const record of records) {
      const entry = { record, handled: false };
      this.order.push(entry);
      this.entries.set(record, entry);
      const key = this.options.keyOf(record);
      const waiting = this.busyKeys.get(key);
      if (waiting === undefined) {
        const queue = [record];
        this.busyKeys.set(key, queue);
        freed.push(queue);
      } else {
        waiting.push(record);
      }
    }
    // Started once every record is queued, so a key's first run takes all of its records here.
    for (const queue of freed) {
      const keyDone: Promise<void> = this.runKey(this.options.keyOf(queue[0]!), queue)
        .catch((error: unknown) => this.options.onUnexpectedError(error))
        .finally(() => this.inProgress.delete(keyDone));
      this.inProgress.add(keyDone);
    }
  }

  /** Resolves when no run is in progress any more: after a stop, or once every record is handled. */
  async idle(): Promise<void> {
    while (this.inProgress.size > 0) {
      await Promise.all(this.inProgress);
    }
  }

  private async runKey(key: string, queue: R[]): Promise<void> {
    for (;;) {
      if (queue.length === 0) {
        // Synchronously with the check: a record added from now on starts its key again.
        this.busyKeys.delete(key);
        return;
      }
      if (this.options.shouldStop()) {
        return;
      }
      const run = queue.splice(0, this.options.maxRunRecords);
      const complete = await this.options.limit.run(() =>
        this.options.handle(run, (record) => this.handled(record)),
      );
      if (!complete) {
        return;
      }
    }
  }

  private handled(record: R): void {
    const entry = this.entries.get(record);
    if (entry === undefined) return;
    entry.handled = true;
    this.entries.delete(record);
    const start = this.head;
    while (this.head < this.order.length && this.order[this.head]!.handled) {
      this.head += 1;
    }
    if (this.head === start) return;
    const through = this.order[this.head - 1]!.record;
    if (this.head > COMPACT_AFTER_ENTRIES && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    this.options.onHandledThrough(through);
  }
}
