import {
  type BusRecord,
  BusUnavailableError,
  type ConsumedRecord,
  type EventBus,
  InProcessEventBus,
  KafkaEventBus,
  type SubscriptionHandle,
} from '#herald/bus';
import {
  commandReceivedV1,
  edgeOutboundTopic,
  edgeOutboundV1,
  FIXED_TOPICS,
  type PushOutcomeV1,
  pushOutcomeV1,
  type PushRequestedV1,
  routedCommandRecordV1,
  routedPushOutcomeRecordV1,
  sessionStartedV1,
  topicsToConsume,
} from '#herald/contracts';
import { type AuthCommandService, type ImRouter, MessageRetention } from '#herald/domain';
import { createAuthServices } from '#herald/auth-service';
import { SqlMessageRetentionStore, SqlSessionRepository, TypeOrmUnitOfWork } from '#herald/persistence';
import type { DataSource } from 'typeorm';
import {
  createImRouter,
  IM_ROUTER_TOPICS,
  ImRouterRecordHandler,
  subscribeImRouter,
} from '#herald/im-router-service';
import { deviceRegisteredRecord, insertAccount, insertDevice, tcpTestBinding } from '../auth/auth-rows';
import { createMigratedDataSource } from '../support/database';
import { requireKafkaBrokers } from '../support/env';
import { randomUUID } from 'node:crypto';

const DOMAIN = 'herald.example';
/** An edge of this run only: on a shared broker no other test consumes its outbound topic. */
const EDGE_ID = `edge-im-${randomUUID().slice(0, 8)}`;
/** How long a test waits for im-router to react to an event before it fails. */
const REACTION_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 20;
/** The login grace of the router under test (outliveLoginGrace moves bindings past it). */
const PLAIN_DEVICE_LOGIN_GRACE_MS = 200;
/** A login grace no test outlasts: a new binding stays within it for the whole test. */
const LONG_LOGIN_GRACE_MS = 600_000;

interface Pushed {
  event: PushRequestedV1;
  body: Record<string, unknown>;
}

/** im-router's record handler as in production, counting the records it has handled (by topic and value). */
class CountingRecordHandler extends ImRouterRecordHandler {
  readonly handled = new Map<string, number>();

  override async handle(record: ConsumedRecord): Promise<void> {
    await super.handle(record);
    this.count([record]);
  }

  override async handleRun(run: ReadonlyArray<ConsumedRecord>): Promise<void> {
    await super.handleRun(run);
    this.count(run);
  }

  private count(records: ReadonlyArray<ConsumedRecord>): void {
    for (const record of records) {
      const id = recordId(record);
      this.handled.set(id, (this.handled.get(id) ?? 0) + 1);
    }
  }
}

const recordId = (record: Pick<BusRecord, 'topic' | 'value'>) => `${record.topic} ${record.value.toString()}`;

const BUSES: Array<[string, () => EventBus]> = [
  ['in-process bus', () => new InProcessEventBus()],
  ['Kafka', () => new KafkaEventBus({ brokers: requireKafkaBrokers(), clientId: 'test-im-router' })],
];

/**
 * im-router wired as in production (its factory over real PostgreSQL, its record handler on the
 * bus) on each bus; the test plays the edge (reads push.requested, reports outcomes) and auth
 * (accounts, registrations, sessions, session-started).
 */
describe.each(BUSES)('im-router (real PostgreSQL, %s)', (_name, createBus) => {
  let dataSource: DataSource;
  let bus: EventBus;
  let router: ImRouter;
  /** auth's command handling, for a login that races im-router. */
  let auth: AuthCommandService;
  let subscriptions: SubscriptionHandle[];
  const pushes: Pushed[] = [];
  let users = 0;
  let records: CountingRecordHandler;
  /** How often the test published each record (by topic and value) to im-router's topics. */
  const published = new Map<string, number>();
  let markers = 0;
  /**
   * im-router's next publish carrying this text fails, as when it dies between its COMMIT and its
   * publish; the bus then retries the command (its offset is not committed).
   */
  let failPublishCarrying: string | undefined;

  beforeAll(async () => {
    dataSource = await createMigratedDataSource();
    bus = createBus();
    await bus.ensureTopics([...FIXED_TOPICS, edgeOutboundTopic(EDGE_ID)]);
    const routerBus: EventBus = {
      publish: async (records) => {
        const failing = failPublishCarrying;
        if (failing !== undefined && records.some((record) => record.value.toString().includes(failing))) {
          failPublishCarrying = undefined;
          throw new BusUnavailableError('test: the publish after the COMMIT fails');
        }
        await bus.publish(records);
      },
      subscribe: (subscription) => bus.subscribe(subscription),
      ensureTopics: (topics) => bus.ensureTopics(topics),
      close: () => bus.close(),
    };
    router = createImRouter({
      bus: routerBus,
      dataSource,
      config: { domain: DOMAIN, plainDeviceLoginGraceMs: PLAIN_DEVICE_LOGIN_GRACE_MS },
    });
    auth = createAuthServices(bus, dataSource, {
      domain: DOMAIN,
      maxExpiresSeconds: 7200,
      sweepIntervalMs: 3_600_000,
      sweepBatchSize: 10,
    }).commands;
    const logged: string[] = [];
    records = new CountingRecordHandler(router, {
      error: (fields, m) => logged.push(`${fields.reason}: ${m}`),
    });
    subscriptions = [
      // As with HERALD_CONSUME_LEGACY_TOPICS=true: the rolling-upgrade case publishes there.
      await subscribeImRouter(bus, records, topicsToConsume(IM_ROUTER_TOPICS, true)),
      await bus.subscribe({
        groupId: `herald-edge-${EDGE_ID}`,
        topics: [edgeOutboundTopic(EDGE_ID)],
        handler: async (record) => {
          const event = edgeOutboundV1.decode(record.value);
          if (event.type === 'push.requested') {
            pushes.push({ event, body: parseBody(event) });
          }
        },
      }),
    ];
  });

  afterAll(async () => {
    for (const subscription of subscriptions ?? []) await subscription.stop();
    await bus?.close();
    await dataSource?.destroy();
  });

  /** Publishes what the test plays (auth, the edge) to im-router, counting it for `pushesUpToNow`. */
  async function publish(toRouter: ReadonlyArray<Pick<BusRecord, 'topic' | 'key' | 'value'>>): Promise<void> {
    for (const record of toRouter)
      published.set(recordId(record), (published.get(recordId(record)) ?? 0) + 1);
    await bus.publish(toRouter);
  }

  /**
   * The pushes to `aor` that im-router published so far, once all have arrived, for asserting that
   * something was NOT pushed. im-router first handles every record the test published; then a
   * refused im.send from `deviceId` (no `to`) is answered after everything that handling pushed,
   * with the same key (`aor`), so its result arrives after it (per-key order). The pushes before
   * that result are returned.
   */
  async function pushesUpToNow(aor: string, deviceId: string): Promise<Pushed[]> {
    await waitFor(() => [...published].every(([id, n]) => (records.handled.get(id) ?? 0) >= n));
    const marker = `marker-${++markers}`;
    await imSend(aor, deviceId, marker, {});
    await waitFor(() => to(aor).some((p) => p.body['re'] === marker));
    const all = to(aor);
    const index = all.findIndex((p) => p.body['re'] === marker);
    expect(all[index].body).toMatchObject({
      ok: false,
      error: expect.objectContaining({ code: 'bad-request' }),
    });
    return all.slice(0, index);
  }

  /** A fresh user with an account; its devices are added with `device`. */
  async function user(name: string): Promise<string> {
    const aor = `sip:${name}${++users}@${DOMAIN}`;
    await insertAccount(dataSource, aor);
    return aor;
  }

  /** Registers a device and, unless it stays plain SIP, logs it in (rows only; see `login`). */
  async function device(aor: string, deviceId: string, carrier: 'INFO' | 'MESSAGE' | 'PLAIN' = 'INFO') {
    const session = carrier === 'PLAIN' ? undefined : { carrier, status: 'online' as const };
    await insertDevice(dataSource, { aor, deviceId, edgeId: EDGE_ID, session });
  }

  /** What auth publishes when a device logged in. */
  async function login(aor: string, deviceId: string) {
    await device(aor, deviceId);
    await publish([
      sessionStartedV1.record(sessionStartedV1.build({ aor, deviceId, carrier: 'INFO', status: 'online' })),
    ]);
  }

  /** What auth publishes when a new binding was created. */
  async function registered(aor: string, deviceId: string) {
    await device(aor, deviceId, 'PLAIN');
    await publish([deviceRegisteredRecord(aor, deviceId, EDGE_ID)]);
  }

  async function logoutAll(aor: string) {
    await dataSource.query(`DELETE FROM sessions WHERE aor = $1`, [aor]);
  }

  /**
   * What the edge publishes for an im.send it received: on im-router's topic, or as an edge of
   * the previous release did, on the legacy shared topic.
   */
  async function imSend(
    from: string,
    deviceId: string,
    id: string,
    fields: Record<string, unknown>,
    edge: 'current' | 'previous' = 'current',
  ) {
    const event = imSendEvent(from, deviceId, id, fields);
    await publish([edge === 'current' ? routedCommandRecordV1(event) : commandReceivedV1.record(event)]);
  }

  /** What the edge publishes when a push's transaction ended (`edge` as for imSend). */
  async function outcome(
    push: Pushed,
    kind: PushOutcomeV1['outcome'],
    edge: 'current' | 'previous' = 'current',
    origin: PushOutcomeV1['origin'] = push.event.origin,
  ) {
    const event = pushOutcomeV1.build({
      pushId: push.event.pushId,
      origin,
      aor: push.event.aor,
      deviceId: push.event.deviceId,
      edgeId: EDGE_ID,
      outcome: kind,
      ...(kind === 'answered' ? { status: 200 } : kind === 'failed' ? { status: 480 } : {}),
    });
    await publish([edge === 'current' ? routedPushOutcomeRecordV1(event) : pushOutcomeV1.record(event)]);
  }

  const to = (aor: string, deviceId?: string) =>
    pushes.filter((p) => p.event.aor === aor && (deviceId === undefined || p.event.deviceId === deviceId));
  const ims = (aor: string, deviceId?: string) => to(aor, deviceId).filter((p) => p.body['type'] === 'im');
  const statuses = (aor: string, deviceId?: string) =>
    to(aor, deviceId).filter((p) => p.body['type'] === 'im.status');
  const results = (aor: string, deviceId?: string) =>
    to(aor, deviceId).filter((p) => p.body['type'] === 'im.send.result');

  it('delivers online to every device of the recipient, and tells the sender `delivered` once', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await device(alice, 'alice-desk');
    await device(bob, 'bob-desk');
    await device(bob, 'bob-phone', 'MESSAGE');

    await imSend(alice, 'alice-desk', 'c-1', { to: bob, text: 'hello bob', messageId: 'm-1' });

    await waitFor(() => results(alice).length === 1 && ims(bob).length === 2);
    expect(results(alice)[0].body).toMatchObject({ re: 'c-1', ok: true, messageId: 'm-1' });
    expect(ims(bob).map((p) => [p.event.deviceId, p.event.method])).toEqual([
      ['bob-desk', 'INFO'],
      ['bob-phone', 'MESSAGE'],
    ]);
    for (const push of ims(bob)) {
      expect(push.body).toMatchObject({ messageId: 'm-1', from: alice, text: 'hello bob', offline: false });
    }

    await outcome(ims(bob, 'bob-phone')[0], 'answered');
    await waitFor(() => statuses(alice).length === 1);
    await outcome(ims(bob, 'bob-desk')[0], 'answered');

    const toAlice = await pushesUpToNow(alice, 'alice-desk');
    expect(toAlice.filter((p) => p.body['type'] === 'im.status').map((p) => p.body)).toEqual([
      expect.objectContaining({ messageId: 'm-1', state: 'delivered' }),
    ]);
    const deliveries: Array<{ device_id: string; outcome: string }> = await dataSource.query(
      `SELECT device_id, outcome FROM message_deliveries WHERE recipient_aor = $1 ORDER BY device_id`,
      [bob],
    );
    expect(deliveries).toEqual([
      { device_id: 'bob-desk', outcome: 'answered' },
      { device_id: 'bob-phone', outcome: 'answered' },
    ]);
  });

  it('handles once, during a rolling upgrade, an im.send and its outcome that an edge of the previous release put on the legacy shared topics, and nothing of another service there', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await device(alice, 'alice-desk');
    await device(bob, 'bob-desk');

    // auth's command first: one sender's records are handled in order, so once the im.send is
    // answered the login before it was handled (and must have been left alone).
    await publish([
      commandReceivedV1.record({
        ...imSendEvent(alice, 'alice-desk', 'c-0', {}),
        envelope: { v: 1, id: 'c-0', type: 'login' },
      }),
    ]);
    await imSend(
      alice,
      'alice-desk',
      'c-1',
      { to: bob, text: 'from an old edge', messageId: 'm-1' },
      'previous',
    );
    await waitFor(() => results(alice).length === 1 && ims(bob).length === 1);
    expect(to(alice).map((p) => p.body)).toEqual([expect.objectContaining({ re: 'c-1', ok: true })]);

    // A presence outcome with the IM's pushId first: acted on, its failure would tell alice `stored`.
    await outcome(ims(bob)[0], 'failed', 'previous', 'presence');
    await outcome(ims(bob)[0], 'answered', 'previous');
    await waitFor(() => statuses(alice).length === 1);
    expect(statuses(alice).map((p) => p.body)).toEqual([
      expect.objectContaining({ messageId: 'm-1', state: 'delivered' }),
    ]);
    // The status is published before its transaction commits: wait for the row.
    await waitFor(async () => {
      const deliveries: Array<{ outcome: string | null }> = await dataSource.query(
        `SELECT outcome FROM message_deliveries WHERE recipient_aor = $1`,
        [bob],
      );
      return deliveries.length === 1 && deliveries[0].outcome === 'answered';
    });
  });

  it('stores IMs for a user with no device and delivers them in order, offline, at login', async () => {
    const alice = await user('alice');
    const carol = await user('carol');
    await device(alice, 'alice-desk');

    for (const n of [1, 2, 3]) {
      await imSend(alice, 'alice-desk', `c-${n}`, { to: carol, text: `message ${n}`, messageId: `m-${n}` });
    }
    await waitFor(() => statuses(alice).length === 3);
    expect(statuses(alice).map((p) => [p.body['messageId'], p.body['state']])).toEqual([
      ['m-1', 'stored'],
      ['m-2', 'stored'],
      ['m-3', 'stored'],
    ]);
    expect(to(carol)).toEqual([]);

    await login(carol, 'carol-laptop');

    await waitFor(() => ims(carol).length === 3);
    expect(ims(carol).map((p) => [p.event.deviceId, p.body['text'], p.body['offline']])).toEqual([
      ['carol-laptop', 'message 1', true],
      ['carol-laptop', 'message 2', true],
      ['carol-laptop', 'message 3', true],
    ]);
    for (const push of ims(carol)) await outcome(push, 'answered');
    await waitFor(() => statuses(alice).length === 6);
    expect(
      statuses(alice)
        .slice(3)
        .map((p) => [p.body['messageId'], p.body['state']]),
    ).toEqual([
      ['m-1', 'delivered'],
      ['m-2', 'delivered'],
      ['m-3', 'delivered'],
    ]);

    await login(carol, 'carol-phone');
    const toCarol = await pushesUpToNow(carol, 'carol-laptop');
    expect(toCarol.filter((p) => p.event.deviceId === 'carol-phone')).toEqual([]);
  });

  it('processes a redelivered command and a resent messageId once', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await device(alice, 'alice-desk');
    await device(bob, 'bob-desk');

    await imSend(alice, 'alice-desk', 'c-1', { to: bob, text: 'once' });
    await imSend(alice, 'alice-desk', 'c-1', { to: bob, text: 'once' });
    await waitFor(() => results(alice).length === 2);
    await imSend(alice, 'alice-desk', 'c-2', { to: bob, text: 'again', messageId: 'm-2' });
    await imSend(alice, 'alice-desk', 'c-3', { to: bob, text: 'again', messageId: 'm-2' });
    await waitFor(() => results(alice).length === 4);
    const toAlice = await pushesUpToNow(alice, 'alice-desk');
    const toBob = await pushesUpToNow(bob, 'bob-desk');

    expect(toAlice.filter((p) => p.body['type'] === 'im.send.result')).toHaveLength(4);
    const [first, duplicate, second, resent] = toAlice
      .filter((p) => p.body['type'] === 'im.send.result')
      .map((p) => p.body);
    expect(duplicate).toEqual({ ...first, id: expect.any(String) });
    expect(first).toMatchObject({ re: 'c-1', ok: true, messageId: expect.stringMatching(/^h-/) });
    expect([second, resent]).toEqual([
      expect.objectContaining({ re: 'c-2', ok: true, messageId: 'm-2' }),
      expect.objectContaining({ re: 'c-3', ok: true, messageId: 'm-2' }),
    ]);
    // c-1 handled again while its IM awaited its outcome pushes it again under the same push id
    // (its first publish may be what a crash lost), which the device processes once.
    const imsToBob = toBob.filter((p) => p.body['type'] === 'im');
    expect([...new Set(imsToBob.map((p) => p.body['messageId']))]).toEqual([first['messageId'], 'm-2']);
    for (const messageId of [first['messageId'], 'm-2']) {
      const pushIds = imsToBob.filter((p) => p.body['messageId'] === messageId).map((p) => p.event.pushId);
      expect(new Set(pushIds).size).toBe(1);
    }
    expect(imsToBob.filter((p) => p.body['messageId'] === 'm-2')).toHaveLength(1);
    const rows: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM messages WHERE sender_aor = $1`,
      [alice],
    );
    expect(rows[0].n).toBe(2);
  });

  it('answers a redelivered im.send whose delivered message the retention deleted with its stored result, and pushes nothing again', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await device(alice, 'alice-desk');
    await device(bob, 'bob-desk');
    await imSend(alice, 'alice-desk', 'c-1', { to: bob, text: 'old news', messageId: 'm-1' });
    await waitFor(() => ims(bob).length === 1);
    await outcome(ims(bob)[0], 'answered');
    await waitFor(() => statuses(alice).length === 1);
    // Delivered more than a retention ago.
    await dataSource.query(
      `UPDATE messages SET delivered_at = delivered_at - interval '8 days' WHERE sender_aor = $1`,
      [alice],
    );
    await dataSource.query(
      `UPDATE message_deliveries SET attempted_at = attempted_at - interval '8 days' WHERE recipient_aor = $1`,
      [bob],
    );
    const retention = new MessageRetention({
      unitOfWork: new TypeOrmUnitOfWork(dataSource),
      store: new SqlMessageRetentionStore(),
      retentionMs: 7 * 24 * 60 * 60 * 1000,
    });
    expect(await retention.sweep()).toBe(1);
    const kept: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM messages WHERE sender_aor = $1`,
      [alice],
    );
    expect(kept[0].n).toBe(0);

    // The edge's copy of c-1 again (a consumer that never committed its offset): its claim is kept.
    await imSend(alice, 'alice-desk', 'c-1', { to: bob, text: 'old news', messageId: 'm-1' });
    await waitFor(() => results(alice).length === 2);

    const [first, again] = results(alice).map((p) => p.body);
    expect(again).toEqual({ ...first, id: expect.any(String) });
    expect(first).toMatchObject({ re: 'c-1', ok: true, messageId: 'm-1' });
    const toBob = await pushesUpToNow(bob, 'bob-desk');
    expect(toBob.filter((p) => p.body['type'] === 'im').map((p) => p.body['messageId'])).toEqual(['m-1']);
    const toAlice = await pushesUpToNow(alice, 'alice-desk');
    expect(toAlice.filter((p) => p.body['type'] === 'im.status').map((p) => p.body['state'])).toEqual([
      'delivered',
    ]);
  });

  it('delivers once, and tells ok, an IM whose publish after the COMMIT failed (a crash between them): its redelivery pushes it', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await device(alice, 'alice-desk');
    await device(bob, 'bob-desk');
    const text = `publish fails after commit ${users}`;
    failPublishCarrying = text;

    await imSend(alice, 'alice-desk', 'c-1', { to: bob, text, messageId: 'm-1' });

    await waitFor(() => results(alice).length > 0 && ims(bob).length > 0);
    expect(failPublishCarrying).toBeUndefined();
    const toAlice = await pushesUpToNow(alice, 'alice-desk');
    const toBob = await pushesUpToNow(bob, 'bob-desk');
    expect(toAlice.map((p) => p.body)).toEqual([
      expect.objectContaining({ type: 'im.send.result', re: 'c-1', ok: true, messageId: 'm-1' }),
    ]);
    expect(toBob.map((p) => p.body)).toEqual([
      expect.objectContaining({ type: 'im', messageId: 'm-1', text, offline: false }),
    ]);
    const deliveries: Array<{ push_id: string; outcome: string | null }> = await dataSource.query(
      `SELECT push_id, outcome FROM message_deliveries WHERE recipient_aor = $1`,
      [bob],
    );
    expect(deliveries).toEqual([{ push_id: toBob[0].event.pushId, outcome: null }]);
  });

  it('tells the sender `delivered` once when the publish after the COMMIT that recorded the answer failed: the redelivered answer tells it', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await device(alice, 'alice-desk');
    await device(bob, 'bob-desk');
    const messageId = `m-delivered-${users}`;
    await imSend(alice, 'alice-desk', 'c-1', { to: bob, text: 'hello', messageId });
    await waitFor(() => ims(bob).length === 1);
    failPublishCarrying = messageId;

    await outcome(ims(bob)[0], 'answered');

    await waitFor(() => statuses(alice).length > 0);
    expect(failPublishCarrying).toBeUndefined();
    const toAlice = await pushesUpToNow(alice, 'alice-desk');
    expect(toAlice.filter((p) => p.body['type'] === 'im.status').map((p) => p.body)).toEqual([
      expect.objectContaining({ messageId, state: 'delivered' }),
    ]);
    const [message]: Array<{ delivered: boolean }> = await dataSource.query(
      `SELECT delivered_at IS NOT NULL AS delivered FROM messages WHERE sender_aor = $1 AND message_id = $2`,
      [alice, messageId],
    );
    expect(message.delivered).toBe(true);
  });

  it('pushes nothing and tells the sender no ok when the COMMIT fails (found by the chaos soak)', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await device(alice, 'alice-desk');
    await device(bob, 'bob-desk');
    const text = `fails at commit ${users}`;
    // A deferred constraint trigger fails the COMMIT of the IM's transaction for as long as the
    // flag row is there; the sequence (not rolled back) counts it.
    await dataSource.query(`CREATE TABLE test_fail_commit (text text PRIMARY KEY)`);
    await dataSource.query(`CREATE SEQUENCE test_commit_failures`);
    await dataSource.query(`
      CREATE FUNCTION test_fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM test_fail_commit WHERE text = NEW.text) THEN
          PERFORM nextval('test_commit_failures');
          RAISE EXCEPTION 'test: the COMMIT fails';
        END IF;
        RETURN NULL;
      END $$`);
    await dataSource.query(`
      CREATE CONSTRAINT TRIGGER test_fail_commit AFTER INSERT ON messages
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_fail_commit()`);
    try {
      await dataSource.query(`INSERT INTO test_fail_commit (text) VALUES ($1)`, [text]);
      await imSend(alice, 'alice-desk', 'c-1', { to: bob, text, messageId: 'm-1' });
      await waitFor(async () => {
        const [{ is_called: failed }]: Array<{ is_called: boolean }> = await dataSource.query(
          `SELECT is_called FROM test_commit_failures`,
        );
        return failed;
      });
      // As in the soak: the sender's session ends before the command is handled again. A retry
      // that found it logged in before that fails at COMMIT too, as long as the flag is there.
      await logoutAll(alice);
      await waitFor(() => results(alice).length > 0);
      await dataSource.query(`DELETE FROM test_fail_commit`);

      const toAlice = await pushesUpToNow(alice, 'alice-desk');
      expect(toAlice.map((p) => p.body)).toEqual([
        expect.objectContaining({
          type: 'im.send.result',
          re: 'c-1',
          ok: false,
          error: expect.objectContaining({ code: 'not-logged-in' }),
        }),
      ]);
      const rows: Array<{ n: number }> = await dataSource.query(
        `SELECT count(*)::int AS n FROM messages WHERE sender_aor = $1`,
        [alice],
      );
      expect(rows[0].n).toBe(0);
      // Nothing of an IM a failed commit lost goes out: its push waits for the commit too.
      expect(await pushesUpToNow(bob, 'bob-desk')).toEqual([]);
    } finally {
      await dataSource.query(`DROP TRIGGER test_fail_commit ON messages`);
      await dataSource.query(`DROP FUNCTION test_fail_commit()`);
      await dataSource.query(`DROP TABLE test_fail_commit`);
      await dataSource.query(`DROP SEQUENCE test_commit_failures`);
    }
  });

  it('reports an unknown recipient as failed after an ok result', async () => {
    const alice = await user('alice');
    await device(alice, 'alice-desk');

    await imSend(alice, 'alice-desk', 'c-1', {
      to: `sip:nobody@${DOMAIN}`,
      text: 'anyone?',
      messageId: 'm-1',
    });

    await waitFor(() => statuses(alice).length === 1);
    expect(to(alice).map((p) => p.body)).toEqual([
      expect.objectContaining({ type: 'im.send.result', re: 'c-1', ok: true, messageId: 'm-1' }),
      expect.objectContaining({
        type: 'im.status',
        messageId: 'm-1',
        state: 'failed',
        error: expect.objectContaining({ code: 'not-found' }),
      }),
    ]);
    const rows: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM messages WHERE sender_aor = $1`,
      [alice],
    );
    expect(rows[0].n).toBe(0);
  });

  it('keeps a timed-out IM for the next login', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await device(alice, 'alice-desk');
    await device(bob, 'bob-desk');

    await imSend(alice, 'alice-desk', 'c-1', { to: bob, text: 'are you there?', messageId: 'm-1' });
    await waitFor(() => ims(bob).length === 1);
    await outcome(ims(bob)[0], 'timed-out');
    await waitFor(() => statuses(alice).length === 1);
    expect(statuses(alice)[0].body).toMatchObject({ messageId: 'm-1', state: 'stored' });

    await logoutAll(bob);
    await login(bob, 'bob-desk');

    await waitFor(() => ims(bob).length === 2);
    expect(ims(bob)[1].body).toMatchObject({ messageId: 'm-1', text: 'are you there?', offline: true });
    await outcome(ims(bob)[1], 'answered');
    await waitFor(() => statuses(alice).length === 2);
    expect(statuses(alice)[1].body).toMatchObject({ messageId: 'm-1', state: 'delivered' });
  });

  it('offers stored IMs as text/plain to a plain SIP device, and not to a device that logs in', async () => {
    const alice = await user('alice');
    const dave = await user('dave');
    await device(alice, 'alice-desk');
    await imSend(alice, 'alice-desk', 'c-1', { to: dave, text: 'for your softphone', messageId: 'm-1' });
    await waitFor(() => statuses(alice).length === 1);

    await registered(dave, 'dave-softphone');
    await registered(dave, 'dave-json');
    await waitFor(async () => (await queued(dave)) === 2);
    await login(dave, 'dave-json');
    await waitFor(async () => ims(dave, 'dave-json').length === 1 && (await queued(dave)) === 1);
    await outliveLoginGrace(dave);
    // What the PlainDeviceSweeper does every second.
    expect(await router.deliverToPlainDevices()).toBe(1);

    await waitFor(() => ims(dave, 'dave-softphone').length === 1);
    expect(ims(dave, 'dave-softphone')[0].event).toMatchObject({
      method: 'MESSAGE',
      contentType: 'text/plain;charset=utf-8',
      body: 'for your softphone',
      fromUri: alice,
    });
    expect(ims(dave, 'dave-json').map((p) => p.event.contentType)).toEqual(['application/vnd.herald+json']);
    await outcome(ims(dave, 'dave-softphone')[0], 'answered');
    await waitFor(() => statuses(alice).length === 2);
    expect(statuses(alice)[1].body).toMatchObject({ messageId: 'm-1', state: 'delivered' });
  });

  it.each([
    ['the plain-device sweep', 'stored'],
    ['a live IM', 'live'],
  ] as const)(
    'holds off a login that races %s until its text/plain push is published',
    async (_name, delivery) => {
      const alice = await user('alice');
      const frank = await user('frank');
      await device(alice, 'alice-desk');
      const im = { to: frank, text: 'before your login', messageId: 'm-1' };
      if (delivery === 'stored') {
        await imSend(alice, 'alice-desk', 'c-1', im);
        await waitFor(() => statuses(alice).length === 1);
        await registered(frank, 'frank-json');
        await waitFor(async () => (await queued(frank)) === 1);
      } else {
        await device(frank, 'frank-json', 'PLAIN');
      }
      await outliveLoginGrace(frank);
      // A router whose publishes to frank wait for the test: it has read frank's device as plain
      // SIP and holds its transaction open, as a stalled broker or process would.
      let publishing: () => void = () => {};
      const readDevice = new Promise<void>((resolve) => (publishing = resolve));
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const stalled: EventBus = {
        publish: async (records) => {
          if (records.some((record) => record.key === frank)) {
            publishing();
            await released;
          }
          await bus.publish(records);
        },
        subscribe: (subscription) => bus.subscribe(subscription),
        ensureTopics: (topics) => bus.ensureTopics(topics),
        close: async () => {},
      };
      const stalledRouter = createImRouter({
        bus: stalled,
        dataSource,
        config: { domain: DOMAIN, plainDeviceLoginGraceMs: PLAIN_DEVICE_LOGIN_GRACE_MS },
      });
      const delivering =
        delivery === 'stored'
          ? stalledRouter.deliverToPlainDevices()
          : stalledRouter.handleCommand(imSendEvent(alice, 'alice-desk', 'c-1', im));
      await readDevice;

      // frank's login, held back past the grace, is handled now by auth as in production.
      let loggedIn = false;
      const login = auth.handle(loginEvent(frank, 'frank-json', 'login-1')).then(() => (loggedIn = true));
      // Until the router commits, the login waits for the binding it holds (or, without the hold,
      // is done).
      await waitFor(async () => loggedIn || (await loginsWaitingForALock()) > 0);
      release();
      await delivering;
      await login;

      await waitFor(() => to(frank, 'frank-json').some((p) => p.body['type'] === 'login.result'));
      expect(
        to(frank, 'frank-json')
          .map((p) => p.body['type'])
          .slice(0, 2),
      ).toEqual(['im', 'login.result']);
      expect(ims(frank, 'frank-json')[0].event).toMatchObject({
        contentType: 'text/plain;charset=utf-8',
        body: 'before your login',
      });
    },
  );

  it('stores IMs for a JSON client that logged in and out (still registered): no text/plain, `stored`', async () => {
    const alice = await user('alice');
    const erin = await user('erin');
    await device(alice, 'alice-desk');
    await registered(erin, 'erin-json');
    await waitFor(async () => (await queued(erin)) === 1);
    // Rows auth leaves after a login and a logout: the binding remembers the login, no session.
    const sessions = new SqlSessionRepository();
    await new TypeOrmUnitOfWork(dataSource).run(async (tx) => {
      await sessions.save(tx, {
        aor: erin,
        deviceId: 'erin-json',
        carrier: 'INFO',
        status: 'online',
        startedAt: new Date(),
      });
      await sessions.remove(tx, erin, 'erin-json');
    });

    await imSend(alice, 'alice-desk', 'c-1', { to: erin, text: 'later', messageId: 'm-1' });
    await waitFor(() => statuses(alice).length === 1);
    expect(statuses(alice)[0].body).toMatchObject({ messageId: 'm-1', state: 'stored' });
    await outliveLoginGrace(erin);
    // What the PlainDeviceSweeper does every second: the queued binding is no plain SIP device.
    expect(await router.deliverToPlainDevices()).toBe(1);
    expect(await pushesUpToNow(erin, 'erin-json')).toEqual([]);
  });

  it('sends no live IM to a new binding within its login grace, and gives it as JSON at its login', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await device(alice, 'alice-desk');
    // A JSON client whose REGISTER auth handled and whose login it has not handled yet.
    await device(bob, 'bob-json', 'PLAIN');
    // A router whose grace surely outlasts this test, called directly as its consumer would.
    const patient = createImRouter({
      bus,
      dataSource,
      config: { domain: DOMAIN, plainDeviceLoginGraceMs: LONG_LOGIN_GRACE_MS },
    });
    await patient.handleCommand(
      imSendEvent(alice, 'alice-desk', 'c-1', { to: bob, text: 'hi', messageId: 'm-1' }),
    );

    expect(
      await dataSource.query(`SELECT device_id FROM message_deliveries WHERE recipient_aor = $1`, [bob]),
    ).toEqual([]);
    await waitFor(() => statuses(alice).length === 1);
    expect(statuses(alice)[0].body).toMatchObject({ messageId: 'm-1', state: 'stored' });
    await login(bob, 'bob-json');
    await waitFor(() => ims(bob).length === 1);
    expect(ims(bob)[0].event).toMatchObject({
      deviceId: 'bob-json',
      contentType: 'application/vnd.herald+json',
    });
    expect(ims(bob)[0].body).toMatchObject({ messageId: 'm-1', text: 'hi', offline: true });
  });

  it('sends live IMs as text/plain to a plain SIP device once its login grace is over', async () => {
    const alice = await user('alice');
    const carol = await user('carol');
    await device(alice, 'alice-desk');
    await device(carol, 'carol-softphone', 'PLAIN');
    await outliveLoginGrace(carol);

    await imSend(alice, 'alice-desk', 'c-1', { to: carol, text: 'live', messageId: 'm-1' });
    await waitFor(() => ims(carol).length === 1);
    expect(ims(carol)[0].event).toMatchObject({
      deviceId: 'carol-softphone',
      method: 'MESSAGE',
      contentType: 'text/plain;charset=utf-8',
      body: 'live',
    });
  });

  /**
   * What the login grace passing does, without waiting for it: `aor`'s bindings and queued
   * plain-device offers are moved back by the grace, on the database's clock and im-router's alike.
   */
  async function outliveLoginGrace(aor: string): Promise<void> {
    const shift = [aor, PLAIN_DEVICE_LOGIN_GRACE_MS];
    const back = `- $2::int * interval '1 millisecond'`;
    await dataSource.query(
      `UPDATE registrations SET registered_at = registered_at ${back} WHERE aor = $1`,
      shift,
    );
    await dataSource.query(`UPDATE plain_device_queue SET due_at = due_at ${back} WHERE aor = $1`, shift);
  }

  /** Backends of this database waiting for a row lock in auth's statement that saves a session. */
  async function loginsWaitingForALock(): Promise<number> {
    const rows: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO sessions%'`,
    );
    return rows[0].n;
  }

  /** Devices of `aor` waiting in the plain device queue. */
  async function queued(aor: string): Promise<number> {
    const rows: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM plain_device_queue WHERE aor = $1`,
      [aor],
    );
    return rows[0].n;
  }
});

/** The sip.command-received event of an im.send from a test device. */
function imSendEvent(from: string, deviceId: string, id: string, fields: Record<string, unknown>) {
  return commandEvent(from, deviceId, { v: 1, id, type: 'im.send', ...fields });
}

/** The sip.command-received event of a login from a test device. */
function loginEvent(from: string, deviceId: string, id: string) {
  return commandEvent(from, deviceId, { v: 1, id, type: 'login', status: 'online' });
}

function commandEvent(
  from: string,
  deviceId: string,
  envelope: { v: 1; id: string; type: string } & Record<string, unknown>,
) {
  return commandReceivedV1.build({
    ...tcpTestBinding(deviceId, EDGE_ID),
    aor: from,
    carrier: 'INFO',
    callId: `call-${envelope.id}`,
    receivedAt: new Date().toISOString(),
    envelope,
  });
}

function parseBody(event: PushRequestedV1): Record<string, unknown> {
  if (event.contentType.startsWith('text/plain')) {
    return { type: 'im', text: event.body, plainFrom: event.fromUri };
  }
  return JSON.parse(event.body) as Record<string, unknown>;
}

async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + REACTION_TIMEOUT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${REACTION_TIMEOUT_MS} ms: ${condition.toString()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
