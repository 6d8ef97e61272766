import type { EncodedRecord } from '#herald/contracts';
import type { PublishedRecord } from '../shared';
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
