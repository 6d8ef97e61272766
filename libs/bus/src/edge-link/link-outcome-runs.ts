import { componentLogger } from '#herald/observability';
import { handleRunTraced, handleTraced } from '../bus-tracing';
import type { ConsumedRecord, Subscription } from '../event-bus';
import { handlerConcurrencyOf, maxRunRecordsOf } from '../handler-retry';
import { ConcurrencyLimit } from '../keyed-concurrency';
import type { OutcomeFrameHandler } from './edge-link-client';

/** Runs of distinct keys of link outcome frames handled at once (as the Kafka consumer's default). */
export const EDGE_LINK_OUTCOME_HANDLER_CONCURRENCY = 16;

/**
 * Hands the records of an outcome frame to `subscription` as its Kafka consumer would: runs per key
 * (consecutive records of one key, at most maxRunRecords, frame order kept) to handleRun, or each
 * record to handler, keys concurrently. Resolves with the handled prefix: the frame's records before
 * the first one of a run that threw (no retry here: the edge publishes the rest to Kafka, whose
 * consumer retries; records of other keys after it that were handled come again and are settled
 * idempotently). A record of another topic is logged and skipped, as a record breaking its contract.
 */
export function outcomeFrameHandler(subscription: Subscription, topic: string): OutcomeFrameHandler {
  const logger = componentLogger('EdgeLink');
  const maxRunRecords = maxRunRecordsOf(subscription);
  const limit = new ConcurrencyLimit(
    handlerConcurrencyOf(subscription, EDGE_LINK_OUTCOME_HANDLER_CONCURRENCY),
  );
  const handleRun = async (run: readonly ConsumedRecord[]): Promise<void> => {
    if (subscription.handleRun !== undefined) {
      await handleRunTraced(run, subscription.handleRun);
      return;
    }
    for (const record of run) await handleTraced(record, subscription.handler);
  };
  return async (records) => {
    const byKey = new Map<string, number[]>();
    records.forEach((record, index) => {
      if (record.topic !== topic) {
        logger.warn(
          { code: 'EDGE_LINK_UNEXPECTED_TOPIC', topic: record.topic, offset: record.offset },
          `an outcome frame carried a record of another topic than ${topic}; it is skipped`,
        );
        return;
      }
      const indexes = byKey.get(record.key) ?? [];
      indexes.push(index);
      byKey.set(record.key, indexes);
    });
    let handled = records.length;
    await Promise.all(
      [...byKey.values()].map(async (indexes) => {
        for (let start = 0; start < indexes.length; start += maxRunRecords) {
          const runIndexes = indexes.slice(start, start + maxRunRecords);
          try {
            await limit.run(() => handleRun(runIndexes.map((index) => records[index]!)));
          } catch (error) {
            handled = Math.min(handled, runIndexes[0]!);
            logger.warn(
              { code: 'EDGE_LINK_OUTCOME_HANDLER_FAILED', key: records[runIndexes[0]!]!.key, err: error },
              'handling link outcomes failed; the edge publishes them (and the rest of their frame) to Kafka',
            );
            return;
          }
        }
      }),
    );
    return handled;
  };
}
