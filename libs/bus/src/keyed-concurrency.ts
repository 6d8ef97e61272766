import { KeyedPipeline } from './keyed-pipeline';

/**
 * Bounds how many records one consumer hands to its handler at once (across all its partitions),
 * so the database pool sized for it is never exhausted. Waiters are served first come, first served.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`a concurrency limit must be a positive integer, got ${limit}`);
    }
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) {
      this.active += 1;
    } else {
      // The slot is handed over by the finishing run, so `active` stays counted.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) {
        this.active -= 1;
      } else {
        next();
      }
    }
  }
}

export interface KeyedRecords<R> {
  /** One partition's records, in offset order. */
  records: ReadonlyArray<R>;
  keyOf(record: R): string;
  limit: ConcurrencyLimit;
  /** Largest run handed to `handle`; 1 hands every record alone. */
  maxRunRecords: number;
  /**
   * Handles a run (1..maxRunRecords consecutive records of one key, in offset order) in one
   * concurrency slot, calling `onHandled` for each record handled, in order. Resolves false when
   * it stopped before the end of the run (the consumer stops): its key stops there.
   */
  handle(run: ReadonlyArray<R>, onHandled: (record: R) => void): Promise<boolean>;
  /** Checked before each run: true once the consumer stops or lost the partition. */
  shouldStop(): boolean;
  /**
   * `record` and every record before it are handled: commit up to it. Calls are serialized in
   * offset order and may skip records (a later call covers the earlier ones).
   */
  onHandledThrough(record: R): Promise<void>;
}

/**
 * Handles a partition's batch with Kafka's per-key guarantee and no more (a KeyedPipeline given
 * the batch at once): records of one key one run after the other in offset order, records of
 * different keys concurrently (within `limit`). Only the contiguous prefix of handled records is
 * reported to `onHandledThrough`, one report at a time, so a record that is retried (or abandoned
 * at stop) is never committed past. Resolves when every key is done or stopped, and the last
 * report finished; rejects with the first failed report.
 */
export async function handleKeysConcurrently<R>(batch: KeyedRecords<R>): Promise<void> {
  let latest: R | undefined;
  let reported: R | undefined;
  let reportQueued = false;
  let failure: { error: unknown } | undefined;
  let reporting = Promise.resolve();

  const report = (): void => {
    if (reportQueued || failure !== undefined) return;
    reportQueued = true;
    // One report in flight and at most one queued: the queued one reports the prefix as it is then.
    reporting = reporting
      .then(async () => {
        reportQueued = false;
        if (latest === undefined || latest === reported) return;
        reported = latest;
        await batch.onHandledThrough(latest);
      })
      .catch((error: unknown) => {
        failure ??= { error };
      });
  };

  const pipeline = new KeyedPipeline<R>({
    keyOf: (record) => batch.keyOf(record),
    limit: batch.limit,
    maxRunRecords: batch.maxRunRecords,
    handle: (run, onHandled) => batch.handle(run, onHandled),
    shouldStop: () => batch.shouldStop(),
    onHandledThrough: (record) => {
      latest = record;
      report();
    },
    onUnexpectedError: (error) => {
      failure ??= { error };
    },
  });
  pipeline.add(batch.records);
  await pipeline.idle();
  // A finishing report may queue the next one: wait until the chain stops growing.
  for (let last = reporting; ; last = reporting) {
    await last;
    if (last === reporting) break;
  }
  if (failure !== undefined) {
    throw failure.error;
  }
}
