import { Kafka, type KafkaConfig } from 'kafkajs';
import { createRequire } from 'node:module';

/** kafkajs' own interval for re-checking requests held back by the in-flight limit. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The part of kafkajs' RequestQueue (src/network/requestQueue/index.js) the fix touches. */
export interface KafkajsRequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/**
 * kafkajs 2.2.4 (its last release) re-schedules the check of its held-back requests after every
 * response and every check, also with none held back, at `throttledUntil - Date.now()`, negative
 * when not throttled, which Node runs after 1 ms: each broker connection of each client wakes its
 * process 1,000 times a second for nothing, for as long as it lives (tulios/kafkajs#1556, #1704;
 * Node 24 also prints TimeoutNegativeWarning, #1751). It made up most of an idle Herald app's CPU.
 * This schedules the check only while requests are held back, when the throttle ends or after
 * kafkajs' 10 ms interval as before; a response still checks at once (fulfillRequest).
 */
export function scheduleCheckPendingRequests(this: KafkajsRequestQueue): void {
  if (this.throttleCheckTimeoutId !== null || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/** The kafkajs release whose RequestQueue this replaces a method of. */
const PATCHED_KAFKAJS_VERSION = '2.2.4';

/**
 * Puts scheduleCheckPendingRequests on kafkajs' RequestQueue, once per process. Refuses any other
 * kafkajs version: its internals may differ, and a later release may have fixed the loop.
 */
export function fixKafkajsRequestQueue(): void {
  const kafkajsRequire = createRequire(require.resolve('kafkajs'));
  const { version } = kafkajsRequire('./package.json') as { version: string };
  if (version !== PATCHED_KAFKAJS_VERSION) {
    throw new Error(
      `kafkajs ${version} installed, the request queue fix is for ${PATCHED_KAFKAJS_VERSION}: check its ` +
        'scheduleCheckPendingRequests and update libs/bus/src/kafkajs-request-queue.ts',
    );
  }
  const RequestQueue = kafkajsRequire('./src/network/requestQueue') as {
    prototype: KafkajsRequestQueue;
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
}

/**
 * A kafkajs client, made after the request queue fix is in: every client Herald's code makes
 * (buses, benches, tests) comes from here, so none wakes its process every millisecond nor prints
 * Node's TimeoutNegativeWarning. Only scripts/kafka.sh's warm-up, run from source before any
 * build, makes its own (it lives for seconds; the script silences the warning there).
 */
export function createKafkaClient(config: KafkaConfig): Kafka {
  fixKafkajsRequestQueue();
  return new Kafka(config);
}
