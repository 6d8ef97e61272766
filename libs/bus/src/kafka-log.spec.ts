import { Writable } from 'node:stream';
import { logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';
import pino from 'pino';
import { KafkaEventBus } from './kafka-event-bus';
import { kafkaLogCreator } from './kafka-log';

/** A pino logger at `level` whose JSON lines land in `lines`. */
function capturingLogger(level: pino.LevelWithSilent): {
  logger: pino.Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk
        .toString('utf8')
        .split('\n')
        .filter((text) => text !== '')) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

function entry(level: KafkaLogLevel, message: string, extra: Record<string, unknown> = {}): LogEntry {
  return {
    namespace: 'Connection',
    level,
    label: KafkaLogLevel[level],
    log: { timestamp: '2024-01-01T00:00:00.000Z', logger: 'kafkajs', message, ...extra },
  };
}

const PINO_ERROR = 50;
const PINO_WARN = 40;
const PINO_INFO = 30;
const PINO_DEBUG = 20;

describe('kafkaLogCreator', () => {
  it('writes one JSON line per entry with the namespace and extra fields, at the matching level, without the stack', () => {
    const { logger, lines } = capturingLogger('debug');
    const log = kafkaLogCreator(logger)(KafkaLogLevel.DEBUG);

    log(
      entry(KafkaLogLevel.ERROR, 'Connection error: connect ECONNREFUSED', {
        broker: '127.0.0.1:1',
        stack: 'Error\n at x',
      }),
    );
    log(entry(KafkaLogLevel.WARN, 'Consumer group received unsubscribed topics', { groupId: 'g' }));
    log(entry(KafkaLogLevel.INFO, 'Starting', { groupId: 'g' }));
    log(entry(KafkaLogLevel.DEBUG, 'Request Metadata(key: 3, version: 6)'));

    expect(lines.map((line) => [line['level'], line['msg']])).toEqual([
      [PINO_ERROR, 'Connection error: connect ECONNREFUSED'],
      [PINO_WARN, 'Consumer group received unsubscribed topics'],
      [PINO_INFO, 'Starting'],
      [PINO_DEBUG, 'Request Metadata(key: 3, version: 6)'],
    ]);
    expect(lines[0]).toMatchObject({ namespace: 'Connection', broker: '127.0.0.1:1' });
    expect(lines[0]).not.toHaveProperty('stack');
    expect(lines[0]).not.toHaveProperty('timestamp');
    expect(lines[1]).toMatchObject({ groupId: 'g' });
  });

  it.each([
    [
      'NOT_LEADER_FOR_PARTITION',
      'Response ListOffsets(key: 2, version: 4)',
      'This server is not the leader for that topic-partition',
    ],
    [
      'LEADER_NOT_AVAILABLE',
      'Response Metadata(key: 3, version: 6)',
      'There is no leader for this topic-partition as we are in the middle of a leadership election',
    ],
    [
      'UNKNOWN_TOPIC_OR_PARTITION',
      'Response Metadata(key: 3, version: 6)',
      'This server does not host this topic-partition',
    ],
    [
      'REBALANCE_IN_PROGRESS',
      'Response Heartbeat(key: 12, version: 3)',
      'The group is rebalancing, so a rejoin is needed',
    ],
    [
      'GROUP_LOAD_IN_PROGRESS',
      'Response JoinGroup(key: 11, version: 5)',
      "The coordinator is loading and hence can't process requests for this group",
    ],
    [
      'NOT_COORDINATOR_FOR_GROUP',
      'Response OffsetCommit(key: 8, version: 5)',
      'This is not the correct coordinator for this group',
    ],
  ])('downgrades the retried %s error to debug', (_type, message, error) => {
    const { logger, lines } = capturingLogger('debug');
    kafkaLogCreator(logger)(KafkaLogLevel.DEBUG)(entry(KafkaLogLevel.ERROR, message, { error }));

    expect(lines).toEqual([expect.objectContaining({ level: PINO_DEBUG, msg: message, error })]);
  });

  it("downgrades the runner's rebalance warning, and drops transient errors at the default level warn", () => {
    const { logger, lines } = capturingLogger('warn');
    const log = kafkaLogCreator(logger)(KafkaLogLevel.WARN);

    log(entry(KafkaLogLevel.WARN, 'The group is rebalancing, re-joining', { groupId: 'g' }));
    log(
      entry(KafkaLogLevel.ERROR, 'Response ListOffsets(key: 2, version: 4)', {
        error: 'This server is not the leader for that topic-partition',
      }),
    );
    log(entry(KafkaLogLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: Number of retries exceeded'));

    expect(lines.map((line) => line['msg'])).toEqual([
      'Crash: KafkaJSNumberOfRetriesExceeded: Number of retries exceeded',
    ]);
  });

  it('logs an Error given as the message by its message', () => {
    const { logger, lines } = capturingLogger('debug');
    const failure = new Error('Failed to connect: broker gone');
    kafkaLogCreator(logger)(KafkaLogLevel.DEBUG)({
      ...entry(KafkaLogLevel.ERROR, ''),
      log: { timestamp: '', message: failure as unknown as string },
    });

    expect(lines).toEqual([
      expect.objectContaining({ level: PINO_ERROR, msg: 'Failed to connect: broker gone' }),
    ]);
  });
});

describe('KafkaEventBus logging', () => {
  it("sends kafkajs' own entries to the given logger as JSON lines", () => {
    const { logger, lines } = capturingLogger('warn');
    // Creating the idempotent producer with bounded retries makes kafkajs warn at once (no broker needed).
    new KafkaEventBus({ brokers: ['127.0.0.1:1'], clientId: 'log-test', logger });

    expect(lines).toEqual([
      expect.objectContaining({
        level: PINO_WARN,
        namespace: 'Producer',
        msg: 'Limiting retries for the idempotent producer may invalidate EoS guarantees',
      }),
    ]);
  });
});
