import type { EncodedRecord } from '#herald/contracts';
import {
  type CommandKey,
  type IdempotencyStore,
  processOnce,
  type Transaction,
  type UnitOfWork,
  type PublishedRecord,
} from '../shared';
import { AuthError } from './auth-error';

/** An event as kept with a stored result until the bus acknowledged it. */
export interface SerializedRecord {
  topic: string;
  key: string;
  value: string;
}

export function serializeRecord(record: EncodedRecord): SerializedRecord {
  return { topic: record.topic, key: record.key, value: record.value.toString('utf8') };
}

/** The bus record of a serialized event. */
export function deserializeRecord(record: SerializedRecord): PublishedRecord {
  return { topic: record.topic, key: record.key, value: Buffer.from(record.value) };
}

/** What a command produced: the reply to its sender and the events to announce. */
export interface CommandOutputs<R> {
  reply: R;
  events: SerializedRecord[];
}

export interface OnceThenPublishDependencies {
  unitOfWork: UnitOfWork;
  idempotency: IdempotencyStore;
}

export interface OnceThenPublishStep<R> {
  key: CommandKey;
  effect: (tx: Transaction) => Promise<CommandOutputs<R>>;
  /** Validates a reply read back from the store (written by this or an older release). */
  parseReply: (stored: unknown) => R;
  /**
   * Sends the reply and, in the same publish after it, `events` (one broker round trip); called
   * for the first run and for every duplicate.
   */
  deliver: (reply: R, duplicate: boolean, events: ReadonlyArray<PublishedRecord>) => Promise<void>;
}

/**
 * Runs a command once per key, then delivers its reply and publishes its events AFTER the
 * transaction committed: consumers of the events (presence, im-router) read the committed
 * registrations and sessions through the DeviceDirectory. The events stay in the stored result
 * until the bus acknowledged them, so a redelivery after a crash between commit and publish
 * publishes them, while a late duplicate never re-announces an old change.
 */
export async function runOnceThenPublish<R extends object>(
  deps: OnceThenPublishDependencies,
  step: OnceThenPublishStep<R>,
): Promise<void> {
  const outcome = await processOnce(deps.unitOfWork, deps.idempotency, step.key, step.effect);
  const outputs = outcome.duplicate ? parseOutputs(outcome.storedResult, step.parseReply) : outcome.result;
  const events = outputs.events.map(deserializeRecord);
  await step.deliver(outputs.reply, outcome.duplicate, events);
  if (events.length === 0) {
    return;
  }
  const published: CommandOutputs<R> = { reply: outputs.reply, events: [] };
  // Losing this write in a database crash only lets a redelivery publish the events again.
  await deps.unitOfWork.runSingleStatement((tx) =>
    deps.idempotency.storeResultUnflushed(tx, step.key, published),
  );
}

/** Validates a stored result of reply and events, as written by this or an older release. */
export function parseOutputs<R>(stored: unknown, parseReply: (stored: unknown) => R): CommandOutputs<R> {
  if (typeof stored !== 'object' || stored === null || !('reply' in stored) || !('events' in stored)) {
    throw new AuthError('AUTH_STORED_RESULT_INVALID', 'stored result has no reply and events');
  }
  const { events } = stored;
  if (!Array.isArray(events) || !events.every(isSerializedRecord)) {
    throw new AuthError('AUTH_STORED_RESULT_INVALID', 'stored events are malformed');
  }
  return { reply: parseReply(stored.reply), events };
}

function isSerializedRecord(value: unknown): value is SerializedRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record['topic'] === 'string' &&
    typeof record['key'] === 'string' &&
    typeof record['value'] === 'string'
  );
}
