import { KafkaJSProtocolError } from 'kafkajs';

/**
 * Errors after which an idempotent producer's id and sequence numbers are no longer the broker's:
 * e.g. a broker that crashed and recovered its log without the producer's last batches answers
 * every later batch OUT_OF_ORDER_SEQUENCE_NUMBER. kafkajs never recovers from these by itself
 * (Kafka's Java client bumps the epoch); only a new producer, with a new producer id, does.
 */
const PRODUCER_STATE_LOST = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

/** True when `error`, or an error it wraps as its `cause` (kafkajs' retrier does), says the producer's state is lost on the broker. */
export function producerStateLost(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof KafkaJSProtocolError && PRODUCER_STATE_LOST.has(current.type)) return true;
  }
  return false;
}
