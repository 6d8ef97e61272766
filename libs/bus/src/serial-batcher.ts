interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface SerialBatcherOptions {
  /**
   * Let the first batch wait for the rest of the event loop turn (setImmediate), so the items
   * submitted by the callbacks of one turn go together instead of the first one alone.
   */
  gatherTurn?: boolean;
  /**
   * Least time between the starts of two batches while items keep coming (the next batch was
   * already waiting when the previous one finished): under load, fewer and larger batches. A batch
   * after an idle moment starts at once, so a lone item never waits for it. 0 (default): none.
   */
  minIntervalMs?: number;
}

/**
 * Runs `flush` one batch at a time, each batch holding every item submitted while the previous
 * batch was running (group commit): one statement or request per batch instead of one per item,
 * and batches finish in submission order. `submit` resolves when the batch holding its item was
 * flushed and rejects with that batch's error.
 */
export class SerialBatcher<T> {
  private waiting: Waiting<T>[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly flush: (items: ReadonlyArray<T>) => Promise<void>,
    private readonly options: SerialBatcherOptions = {},
  ) {}

  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.running ??= this.run();
    });
  }

  /** Resolves when every item submitted so far is flushed (or failed). */
  async idle(): Promise<void> {
    while (this.running !== undefined) {
      await this.running;
    }
  }

  private async run(): Promise<void> {
    if (this.options.gatherTurn === true) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const minIntervalMs = this.options.minIntervalMs ?? 0;
    let previousStart: number | undefined;
    while (this.waiting.length > 0) {
      if (previousStart !== undefined && minIntervalMs > 0) {
        // A timer may fire up to a millisecond early (the event loop's clock is coarser): wait again.
        let untilNext: number;
        while ((untilNext = previousStart + minIntervalMs - performance.now()) > 0) {
          await new Promise<void>((resolve) => setTimeout(resolve, Math.ceil(untilNext)));
        }
      }
      previousStart = performance.now();
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.flush(batch.map((waiting) => waiting.item));
        for (const waiting of batch) waiting.resolve();
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.running = undefined;
  }
}
