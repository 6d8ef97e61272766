// Issue 14: a command whose handler cannot publish while the broker is down is retried until its
// result is published, never committed and skipped; its device gets exactly one result. Presence
// on a real Kafka broker of this file only (stopped, then killed and restarted) and PostgreSQL.
import { randomBytes } from 'node:crypto';
import { KafkaEventBus } from '#herald/bus';
import { edgeOutboundTopic, FIXED_TOPICS, SIP_COMMAND_RECEIVED_PRESENCE_V1 } from '#herald/contracts';
import { PrivateServer } from '../support/herald-infrastructure';
import { waitFor } from '../support/wait-for';
import { PresenceHarness } from './presence-harness';

/** Group joins on a busy machine, and a broker restart. */
const REACTION_TIMEOUT_MS = 90_000;
const PUBLISH_TIMEOUT_MS = 1_000;
const RETRY_MAX_DELAY_MS = 1_000;
/** Failed attempts seen before the broker comes back: the record was retried, not skipped. */
const FAILED_ATTEMPTS_BEFORE_RESTART = 3;
const TEST_TIMEOUT_MS = 240_000;

describe('presence while Kafka is stopped and restarted', () => {
  let kafka: PrivateServer | undefined;
  let harness: PresenceHarness | undefined;
  /** Every failed attempt of presence's handler on a command, by the command's AOR (record key). */
  const failedAttempts: string[] = [];

  beforeAll(async () => {
    kafka = await PrivateServer.kafka();
    const bus = new KafkaEventBus({
      brokers: [kafka.address],
      clientId: `presence-outage-${randomBytes(4).toString('hex')}`,
      logLevel: 'error',
      publishTimeoutMs: PUBLISH_TIMEOUT_MS,
      handlerRetry: {
        maxDelayMs: RETRY_MAX_DELAY_MS,
        onHandlerError: (_error, record) => {
          if (record.topic === SIP_COMMAND_RECEIVED_PRESENCE_V1) failedAttempts.push(record.key);
        },
      },
    });
    await bus.ensureTopics([...FIXED_TOPICS, edgeOutboundTopic('edge-0')]);
    harness = await PresenceHarness.start({ bus, reactionTimeoutMs: REACTION_TIMEOUT_MS });
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await harness?.stop();
    await kafka?.stop();
  });

  /**
   * Sends `command` as `aor`'s device `deviceId` while its claim is held, so presence waits inside
   * its transaction; stops the broker, lets presence go on, and restarts the broker once presence
   * failed to publish several times. Returns the command's id.
   */
  async function sendDuringOutage(aor: string, deviceId: string, command: Record<string, unknown>) {
    const h = harness!;
    const id = `outage-${randomBytes(4).toString('hex')}`;
    const holder = h.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query(
        `INSERT INTO processed_commands (service, aor, command_id) VALUES ('presence', $1, $2)`,
        [aor, id],
      );
      await h.command(aor, deviceId, command, id);
      await waitFor(
        async () => {
          const [row] = (await h.dataSource.query(
            `SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted`,
          )) as Array<{ waiting: number }>;
          return (row?.waiting ?? 0) > 0;
        },
        REACTION_TIMEOUT_MS,
        'presence to wait for the held claim',
      );
      await kafka!.pause();
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    const before = failedAttempts.filter((key) => key === aor).length;
    await waitFor(
      () => failedAttempts.filter((key) => key === aor).length - before >= FAILED_ATTEMPTS_BEFORE_RESTART,
      REACTION_TIMEOUT_MS,
      `${FAILED_ATTEMPTS_BEFORE_RESTART} failed attempts of presence's handler`,
    );
    await kafka!.crashRestart();
    return id;
  }

  /** The results of `id` the device got up to a later command's result (per-key order: all of them). */
  async function resultsOf(aor: string, deviceId: string, id: string) {
    const h = harness!;
    const marker = await h.commandResult(aor, deviceId, { type: 'roster.get' });
    const pushes = h.pushesTo(deviceId);
    return pushes.slice(0, pushes.indexOf(marker)).filter((push) => push['re'] === id);
  }

  it(
    'publishes a roster.update whose roster push failed inside its transaction once the broker is back: one result, applied once',
    async () => {
      const h = harness!;
      const alice = await h.user('alice');
      const bob = await h.user('bob');
      await h.device(alice, 'alice-desk', 'online');
      await h.device(bob, 'bob-desk', 'online');
      await h.buddies(alice, 'alice-desk', bob, 'bob-desk');

      const id = await sendDuringOutage(alice, 'alice-desk', {
        type: 'roster.update',
        uri: bob,
        name: 'Bobby',
      });

      const result = await h.waitFor(() => h.resultsFor('alice-desk', id)[0]);
      expect(result).toMatchObject({ type: 'roster.update.result', ok: true });
      const results = await resultsOf(alice, 'alice-desk', id);
      // Published again after a redelivery, a result keeps its push id: the edge answers the repeat
      // from its memory (AnsweredPushes), so the device gets it once.
      expect(new Set(results.map((push) => push['id']))).toEqual(new Set([result['id']]));
      expect(
        await h.dataSource.query(`SELECT name FROM roster_entries WHERE owner_aor = $1`, [alice]),
      ).toEqual([{ name: 'Bobby' }]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'publishes a result stored before the broker stopped (only its publish after the commit failed) once the broker is back',
    async () => {
      const h = harness!;
      const carol = await h.user('carol');
      await h.device(carol, 'carol-desk', 'online');

      // Not in carol's roster: the result is refused and stored, and nothing else is published.
      const stranger = `sip:stranger-${randomBytes(3).toString('hex')}@herald.example`;
      const id = await sendDuringOutage(carol, 'carol-desk', {
        type: 'roster.update',
        uri: stranger,
        name: 'X',
      });

      const result = await h.waitFor(() => h.resultsFor('carol-desk', id)[0]);
      expect(result).toMatchObject({ type: 'roster.update.result', ok: false });
      const results = await resultsOf(carol, 'carol-desk', id);
      expect(new Set(results.map((push) => push['id']))).toEqual(new Set([result['id']]));
    },
    TEST_TIMEOUT_MS,
  );
});
