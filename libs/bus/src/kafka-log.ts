import { logLevel as KafkaLogLevel, type logCreator, type LogEntry } from 'kafkajs';
import type { Level, Logger } from 'pino';
import { heraldLogger } from '#herald/observability';

/** How much kafkajs logs (KAFKA_LOG_LEVEL). */
export type BusLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export const KAFKAJS_LOG_LEVELS: Record<BusLogLevel, KafkaLogLevel> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

const PINO_LEVEL_OF_KAFKAJS: Record<Exclude<KafkaLogLevel, KafkaLogLevel.NOTHING>, Level> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/**
 * Retriable protocol errors that kafkajs retries by itself during rebalances, leader moves and
 * topic creation: logged at ERROR/WARN they are noise, so they go to debug. kafkajs logs only the
 * error's message, hence the match on the messages of its protocol/error.js.
 */
const TRANSIENT_KAFKA_ERROR_MESSAGES: ReadonlyArray<string> = [
  // NOT_LEADER_FOR_PARTITION (e.g. ListOffsets right after a leader move)
  'This server is not the leader for that topic-partition',
  // LEADER_NOT_AVAILABLE (a topic just created)
  'There is no leader for this topic-partition',
  // UNKNOWN_TOPIC_OR_PARTITION (a topic being created)
  'This server does not host this topic-partition',
  // REBALANCE_IN_PROGRESS, and the runner's "The group is rebalancing, re-joining"
  'The group is rebalancing',
  // GROUP_LOAD_IN_PROGRESS (coordinator load)
  "The coordinator is loading and hence can't process requests for this group",
  // GROUP_COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR_FOR_GROUP (coordinator moving)
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
];

/** Fields of a kafkajs entry that the JSON line does not repeat: pino stamps its own time. */
const DROPPED_FIELDS: ReadonlyArray<string> = ['timestamp', 'logger', 'message', 'stack'];

/** The process' logger for kafkajs and the bus, at its own `level` (KAFKA_LOG_LEVEL). */
export function kafkaLogger(level: BusLogLevel): Logger {
  return heraldLogger().child({ component: 'kafkajs' }, { level: level === 'nothing' ? 'silent' : level });
}

/**
 * A kafkajs logCreator writing each entry as one structured line to `logger`: the kafkajs
 * namespace and extra fields (broker, groupId, error, retryCount…) become fields; stacks are left
 * out (kafkajs' own internals, the error message stays); transient retried errors go to debug.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      if (level === KafkaLogLevel.NOTHING) {
        return;
      }
      const entry: Record<string, unknown> = { ...log };
      // kafkajs' broker pool sometimes logs the Error itself as the message.
      const message = textOf(entry['message']);
      const fields: Record<string, unknown> = { namespace };
      for (const [key, value] of Object.entries(entry)) {
        if (!DROPPED_FIELDS.includes(key)) {
          fields[key] = value;
        }
      }
      const transient = isTransient(`${message} ${textOf(entry['error'])}`);
      logger[transient ? 'debug' : PINO_LEVEL_OF_KAFKAJS[level]](fields, message);
    };
}

function isTransient(text: string): boolean {
  return TRANSIENT_KAFKA_ERROR_MESSAGES.some((transient) => text.includes(transient));
}

function textOf(value: unknown): string {
  if (value === undefined) {
    return '';
  }
  return value instanceof Error ? value.message : String(value);
}
