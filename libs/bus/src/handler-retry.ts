import { handleTraced } from './bus-tracing';
import type { ConsumedRecord } from './event-bus';

/** First wait after a handler failed; doubles per attempt up to the maximum. */
export const HANDLER_RETRY_INITIAL_DELAY_MS = 100;
export const HANDLER_RETRY_MAX_DELAY_MS = 5_000;

export interface HandlerRetryOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Told about every failed attempt (the record is retried, never skipped). Default: stderr. */
  onHandlerError?: (error: unknown, record: ConsumedRecord, attempt: number) => void;
}

export function reportHandlerErrorToStderr(error: unknown, record: ConsumedRecord, attempt: number): void {
  console.error(
    `herald bus: handler failed (attempt ${attempt}) for ${record.topic}[${record.partition}]@${record.offset} ` +
      `key=${record.key}; retrying`,
    error,
  );
}

/**
 * Calls `handler(record)` until it resolves, waiting with exponential backoff between attempts.
 * Returns false, without handling, when `signal` aborts first (the consumer stops): the record
 * must then stay uncommitted so it is delivered again. `beforeRetry` runs before each new
 * attempt (Kafka: a heartbeat, so a long retry does not cost the group membership).
 */
export async function handleWithRetry(
  record: ConsumedRecord,
  handler: (record: ConsumedRecord) => Promise<void>,
  signal: AbortSignal,
  options: HandlerRetryOptions,
  beforeRetry: () => Promise<void> = async () => undefined,
): Promise<boolean> {
  const initialDelayMs = options.initialDelayMs ?? HANDLER_RETRY_INITIAL_DELAY_MS;
  const maxDelayMs = options.maxDelayMs ?? HANDLER_RETRY_MAX_DELAY_MS;
  const onHandlerError = options.onHandlerError ?? reportHandlerErrorToStderr;
  for (let attempt = 1; !signal.aborted; attempt += 1) {
    try {
      await handleTraced(record, handler);
      return true;
    } catch (error) {
      onHandlerError(error, record, attempt);
    }
    await abortableDelay(Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)), signal);
    if (!signal.aborted) {
      await beforeRetry();
    }
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
