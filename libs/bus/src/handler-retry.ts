import { componentLogger, heraldMetrics } from '#herald/observability';
import { handleRunTraced, handleTraced } from './bus-tracing';
import {
  BUS_MAX_RUN_RECORDS,
  InvalidSubscriptionError,
  type ConsumedRecord,
  type Subscription,
} from './event-bus';

/** First wait after a handler failed; doubles per attempt up to the maximum. */
export const HANDLER_RETRY_INITIAL_DELAY_MS = 100;
export const HANDLER_RETRY_MAX_DELAY_MS = 5_000;

export interface HandlerRetryOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Told about every failed attempt (the record is retried, never skipped). Default: the log. */
  onHandlerError?: (error: unknown, record: ConsumedRecord, attempt: number) => void;
  /** Told when handleRun threw (the run is then retried record by record). Default: the log. */
  onRunError?: (error: unknown, run: ReadonlyArray<ConsumedRecord>) => void;
}

const busLogger = componentLogger('Bus');

export function logHandlerError(error: unknown, record: ConsumedRecord, attempt: number): void {
  busLogger.error(
    {
      code: 'BUS_HANDLER_FAILED',
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key: record.key,
      attempt,
      err: error,
    },
    'the handler failed; retrying the record',
  );
}

export function logRunError(error: unknown, run: ReadonlyArray<ConsumedRecord>): void {
  const first = run[0];
  busLogger.error(
    {
      code: 'BUS_RUN_HANDLER_FAILED',
      topic: first?.topic,
      partition: first?.partition,
      offset: first?.offset,
      key: first?.key,
      records: run.length,
      err: error,
    },
    'the run handler failed; retrying its records one by one',
  );
}

/** A failed attempt of a record's handler: counted (herald_bus_handler_retries_total), then reported. */
export function handlerAttemptFailed(
  options: HandlerRetryOptions,
  error: unknown,
  record: ConsumedRecord,
  attempt: number,
): void {
  heraldMetrics().handlerRetry(record.topic);
  (options.onHandlerError ?? logHandlerError)(error, record, attempt);
}

/** The largest run the bus hands `subscription` at once: 1 (each record alone) without handleRun. */
export function maxRunRecordsOf(subscription: Subscription): number {
  if (subscription.handleRun === undefined) {
    return 1;
  }
  const max = subscription.maxRunRecords ?? BUS_MAX_RUN_RECORDS;
  if (!Number.isInteger(max) || max < 1) {
    throw new InvalidSubscriptionError(`maxRunRecords must be a positive integer, got ${max}`);
  }
  return max;
}

/** How many runs `subscription`'s consumer hands its handlers at once: its own, else the bus's. */
export function handlerConcurrencyOf(subscription: Subscription, busDefault: number): number {
  const concurrency = subscription.handlerConcurrency ?? busDefault;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidSubscriptionError(`handlerConcurrency must be a positive integer, got ${concurrency}`);
  }
  return concurrency;
}

/** How a consumer handles runs: the subscription's run handler, and its way with single records. */
export interface RunHandling {
  handleRun: Subscription['handleRun'];
  /** Handles one record of a run handled record by record; false when its key must stop there. */
  handleRecord(record: ConsumedRecord): Promise<boolean>;
  /** Aborts when the consumer stops: no run handler is called any more. */
  signal: AbortSignal;
  onRunError: HandlerRetryOptions['onRunError'];
}

/** Handling where each record of a failed run is retried in place until handled (or stopped). */
export function retryingInPlace(
  subscription: Pick<Subscription, 'handler' | 'handleRun'>,
  signal: AbortSignal,
  options: HandlerRetryOptions,
): RunHandling {
  return {
    handleRun: subscription.handleRun,
    handleRecord: (record) => handleWithRetry(record, subscription.handler, signal, options),
    signal,
    onRunError: options.onRunError,
  };
}

/**
 * Handles a run (consecutive records of one key, in offset order): one `handleRun` call when there
 * is one, else, or when it throws, each record through `handleRecord` in order. Calls `onHandled`
 * for each record handled, in order, so the records before one being retried can be committed.
 * Returns false when a record was left unhandled (its key stops there).
 */
export async function handleRunOrRecords(
  run: ReadonlyArray<ConsumedRecord>,
  handling: RunHandling,
  onHandled: (record: ConsumedRecord) => void,
): Promise<boolean> {
  const { handleRun } = handling;
  if (handleRun !== undefined && !handling.signal.aborted) {
    try {
      await handleRunTraced(run, handleRun);
      run.forEach(onHandled);
      return true;
    } catch (error) {
      (handling.onRunError ?? logRunError)(error, run);
    }
  }
  for (const record of run) {
    if (!(await handling.handleRecord(record))) {
      return false;
    }
    onHandled(record);
  }
  return true;
}

/** The wait before attempt `attempt + 1` of a record: exponential from the initial delay, capped. */
export function retryDelayMs(attempt: number, options: HandlerRetryOptions): number {
  const initialDelayMs = options.initialDelayMs ?? HANDLER_RETRY_INITIAL_DELAY_MS;
  const maxDelayMs = options.maxDelayMs ?? HANDLER_RETRY_MAX_DELAY_MS;
  return Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
}

/**
 * Calls `handler(record)` until it resolves, waiting with exponential backoff between attempts.
 * Returns false, without handling, when `signal` aborts first (the consumer stops): the record
 * must then stay uncommitted so it is delivered again. Every bus retries in place: only the
 * record's key waits.
 */
export async function handleWithRetry(
  record: ConsumedRecord,
  handler: (record: ConsumedRecord) => Promise<void>,
  signal: AbortSignal,
  options: HandlerRetryOptions,
): Promise<boolean> {
  for (let attempt = 1; !signal.aborted; attempt += 1) {
    try {
      await handleTraced(record, handler);
      return true;
    } catch (error) {
      handlerAttemptFailed(options, error, record, attempt);
    }
    await abortableDelay(retryDelayMs(attempt, options), signal);
  }
  return false;
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
