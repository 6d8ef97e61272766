import { handleTraced } from './bus-tracing';
import type { ConsumedRecord, Subscription } from './event-bus';
import {
  handlerAttemptFailed,
  handleRunOrRecords,
  retryDelayMs,
  type HandlerRetryOptions,
  type RunHandling,
} from './handler-retry';

/**
 * What a consumer keeps of a partition whose batch left a failed record, until a delivery of that
 * partition handles it: the failed attempts by offset (for the backoff) and the offsets handled
 * past it (uncommitted, so fetched again, but not to be handled again).
 */
interface FailedPartition {
  attempts: ReadonlyMap<string, number>;
  handled: ReadonlySet<string>;
}

/**
 * Retries of failed records for one Kafka consumer, without holding its other partitions back.
 * kafkajs fetches again only once every batch of a fetch is handled, so a record retried in place
 * would stall every partition of the consumer. Here a batch makes one attempt per record; when one
 * fails, its partition is paused for the backoff and the batch ends once its other keys are done
 * (committing only the records before the failed one), so the consumer fetches its other partitions
 * again. Resumed, the partition is fetched from the failed record, which is attempted again; the
 * records handled past it in earlier deliveries are not handled again.
 */
export class KafkaPartitionRetries {
  private readonly failed = new Map<string, FailedPartition>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: HandlerRetryOptions) {}

  /** The retry state of one delivered batch; `finish` it when the batch is done. */
  batch(batch: {
    topic: string;
    partition: number;
    subscription: Pick<Subscription, 'handler' | 'handleRun'>;
    signal: AbortSignal;
    /** Pauses the batch's partition; returns the function that resumes it. */
    pause: () => () => void;
  }): KafkaBatchRetries {
    const key = `${batch.topic}/${batch.partition}`;
    return new KafkaBatchRetries(this.failed.get(key), batch, this.options, {
      pauseFor: (delayMs) => {
        const resume = batch.pause();
        const timer = setTimeout(() => {
          this.resumeTimers.delete(timer);
          resume();
        }, delayMs);
        this.resumeTimers.add(timer);
      },
      finished: (state) => {
        if (state === undefined) {
          this.failed.delete(key);
        } else {
          this.failed.set(key, state);
        }
      },
    });
  }

  /** The consumer stops: no partition is resumed any more. */
  stop(): void {
    this.resumeTimers.forEach(clearTimeout);
    this.resumeTimers.clear();
  }
}

export class KafkaBatchRetries {
  /** Attempts of the records that failed in this batch, by offset. */
  private readonly failures = new Map<string, number>();
  private readonly handledNow = new Set<string>();
  private paused = false;
  private readonly handling: RunHandling;

  constructor(
    private readonly earlier: FailedPartition | undefined,
    private readonly batch: {
      subscription: Pick<Subscription, 'handler' | 'handleRun'>;
      signal: AbortSignal;
    },
    private readonly options: HandlerRetryOptions,
    private readonly partition: {
      pauseFor(delayMs: number): void;
      finished(state: FailedPartition | undefined): void;
    },
  ) {
    this.handling = {
      handleRun: batch.subscription.handleRun,
      handleRecord: (record) => this.attemptOnce(record),
      signal: batch.signal,
      onRunError: options.onRunError,
    };
  }

  /**
   * Handles a run: its records handled in an earlier delivery are only reported, a record that
   * failed before is attempted alone, the rest goes to handleRunOrRecords with one attempt per
   * record. False when a record failed (its key stops there; the partition is paused).
   */
  async handle(
    run: ReadonlyArray<ConsumedRecord>,
    onHandled: (record: ConsumedRecord) => void,
  ): Promise<boolean> {
    const noteHandled = (record: ConsumedRecord): void => {
      this.handledNow.add(record.offset);
      onHandled(record);
    };
    let rest = run;
    while (rest[0] !== undefined && this.earlier?.handled.has(rest[0].offset) === true) {
      noteHandled(rest[0]);
      rest = rest.slice(1);
    }
    const first = rest[0];
    if (first !== undefined && this.earlier?.attempts.has(first.offset) === true) {
      if (!(await this.attemptOnce(first))) {
        return false;
      }
      noteHandled(first);
      rest = rest.slice(1);
    }
    return rest.length === 0 || handleRunOrRecords(rest, this.handling, noteHandled);
  }

  /** Keeps what the next delivery of the partition needs (nothing when no record failed). */
  finish(): void {
    const failedOffsets = [...this.failures.keys()].map(BigInt);
    if (failedOffsets.length === 0) {
      this.partition.finished(undefined);
      return;
    }
    const firstFailed = failedOffsets.reduce((lowest, offset) => (offset < lowest ? offset : lowest));
    const handled = new Set(
      [...(this.earlier?.handled ?? []), ...this.handledNow].filter((offset) => BigInt(offset) > firstFailed),
    );
    this.partition.finished({ attempts: this.failures, handled });
  }

  private async attemptOnce(record: ConsumedRecord): Promise<boolean> {
    if (this.batch.signal.aborted) {
      return false;
    }
    const attempt = (this.earlier?.attempts.get(record.offset) ?? 0) + 1;
    try {
      await handleTraced(record, this.batch.subscription.handler);
      return true;
    } catch (error) {
      handlerAttemptFailed(this.options, error, record, attempt);
      this.failures.set(record.offset, attempt);
      if (!this.paused) {
        this.paused = true;
        this.partition.pauseFor(retryDelayMs(attempt, this.options));
      }
      return false;
    }
  }
}
