import { type BusRecord, InProcessEventBus } from '#herald/bus';
import {
  deviceRegisteredV1,
  edgeOutboundV1,
  type PushRequestedV1,
  sessionStartedV1,
} from '#herald/contracts';
import type { ImRouter, PresenceService } from '#herald/domain';
import { createDataSource, SqlRosterRepository, TypeOrmUnitOfWork } from '#herald/persistence';
import { DataSource, type Logger, type QueryRunner } from 'typeorm';
import { type AuthServices, createAccountService, createAuthServices } from '#herald/auth-service';
import { createImRouter } from '#herald/im-router-service';
import { createPresenceService } from '#herald/presence-service';
import { answeredOutcome } from '../../libs/contracts/testing/edge-events';
import { commandFrom, DOMAIN, registerRequest } from '../auth/auth-harness';
import { migratedTestDatabase } from '../support/database';

/**
 * Pins the PostgreSQL statements each hot-path command costs (issue #6): a regression that adds
 * a round trip or a transaction to REGISTER, login, im.send, a push outcome or presence.set
 * shows here. Every statement is one round trip; BEGIN and COMMIT are counted as statements.
 */

interface Sent {
  sql: string;
  inTransaction: boolean;
}

/** Counts what TypeORM sends to PostgreSQL, by kind. */
class StatementCounter implements Logger {
  private statements: Sent[] = [];

  logQuery(query: string, _parameters?: unknown[], queryRunner?: QueryRunner): void {
    this.statements.push({ sql: query.trim(), inTransaction: queryRunner?.isTransactionActive === true });
  }
  // The rest is not counted: a failed query still reaches its caller as an exception.
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}

  /**
   * Statements of `work` alone: round trips, and commits (each one waits for a WAL flush): every
   * COMMIT and every write sent outside a transaction, which commits on its own.
   */
  async count(work: () => Promise<void>): Promise<{ statements: number; commits: number }> {
    this.statements = [];
    await work();
    const commits = this.statements.filter(
      ({ sql, inTransaction }) => sql === 'COMMIT' || (!inTransaction && !sql.startsWith('SELECT')),
    );
    return { statements: this.statements.length, commits: commits.length };
  }
}

/**
 * Statements per command (BEGIN and COMMIT included) and the commits among them. The second
 * commit of REGISTER and login is the unflushed mark that their events were published
 * (IdempotencyStore.storeResultUnflushed): it does not wait for the WAL flush.
 */
const EXPECTED = {
  /**
   * Claims and saves the binding in one statement (it removes none); a device binding a UDP
   * address anew also reads the other devices' bindings from it (Registrar.supersededBindings).
   */
  registerNew: { statements: 7, commits: 2 },
  /** A refresh announces nothing: no mark of published events. */
  registerRefresh: { statements: 5, commits: 1 },
  /**
   * A wrong password from a UDP address its device is not bound to: the account read and the
   * claim with its 401, no binding read (6 before session 11: the AOR's bindings and the other
   * devices' from that address, read for a REGISTER that then changed nothing).
   */
  registerRefused: { statements: 4, commits: 1 },
  /**
   * REGISTER_GROUP_SIZE new bindings of distinct users handled in one event-loop turn (as the bus
   * hands a fetched batch): ONE group that costs what one REGISTER costs.
   */
  registerGroup: { statements: 7, commits: 2 },
  /** Their refreshes, likewise: one group of what one refresh costs. */
  registerGroupRefresh: { statements: 5, commits: 1 },
  login: { statements: 8, commits: 2 },
  /**
   * One of them locks the user's and buddies' aggregates, so the snapshot waits for a change in
   * flight; it creates alice's (her first login), which her own change then finds.
   */
  presenceSessionStarted: { statements: 11, commits: 1 },
  imDeviceRegistered: { statements: 1, commits: 1 },
  imSessionStarted: { statements: 5, commits: 1 },
  /**
   * One statement claims the command and stores its message (8 before session 12: two); one
   * looks the sending device up and checks the recipient's account (7 before session 14: two).
   */
  imSend: { statements: 6, commits: 1 },
  /** A run of IM_RUN_LENGTH im.send of one sender costs what one costs. */
  imSendRun: { statements: 6, commits: 1 },
  /**
   * The same run redelivered before any device answered: claims and stored results, no recipient
   * lookup, one read of the undelivered messages (whose senders were told `stored`, and the devices
   * whose push has no outcome) and one lookup of those devices, to push the IMs to them again
   * (the publish after the first commit may be what was lost). 8 before session 14 (the sending
   * device and the recipient's account read apart).
   */
  imSendRunRedelivered: { statements: 7, commits: 1 },
  /**
   * The answered outcomes of that run's deliveries, settled as one run (no recipient lock): the
   * statement recording them, without BEGIN and COMMIT (4 before session 14), and the senders'
   * devices for `delivered`.
   */
  imDeliveredRun: { statements: 2, commits: 1 },
  /**
   * Three runs of three senders handled in one event-loop turn: ONE group that costs what one run
   * costs (alone, three runs cost 3 x 6); 7 before session 14.
   */
  imSendConcurrentRuns: { statements: 6, commits: 1 },
  /** Their deliveries' answered outcomes, three runs of three recipients: likewise 2 (4 before session 14). */
  imDeliveredConcurrentRuns: { statements: 2, commits: 1 },
  /**
   * A run of im.send and the answered outcomes of the same sender's earlier run, at once: ONE group
   * (ImGroups), one transaction, and the sender's devices looked up once, for its commands and its
   * `delivered` (RunDeviceDirectory); alone they cost 6 + 2 statements and two commits. The new IMs'
   * delivery attempts are recorded in the statement recording the outcomes, and the sending devices
   * read with the recipients' accounts (8 before session 14).
   */
  imSendWithDeliveredRun: { statements: 6, commits: 1 },
  imResultAnswered: { statements: 0, commits: 0 },
  /**
   * Answered: no recipient lock (it would only wait for a push not yet committed), and no BEGIN and
   * COMMIT around its one write, which commits on its own (4 before session 14).
   */
  imDelivered: { statements: 2, commits: 1 },
  presenceSet: { statements: 10, commits: 1 },
};

/** The in-process bus, keeping the push.requested events published for the edges. */
class PushRecordingBus extends InProcessEventBus {
  readonly pushes: PushRequestedV1[] = [];
  /** The topic of every record published, in order. */
  readonly publishedTopics: string[] = [];

  override async publish(records: ReadonlyArray<Omit<BusRecord, 'headers'>>): Promise<void> {
    await super.publish(records);
    this.publishedTopics.push(...records.map((record) => record.topic));
    for (const record of records.filter((r) => r.topic.startsWith('edge.'))) {
      const event = edgeOutboundV1.decode(record.value);
      if (event.type === 'push.requested') this.pushes.push(event);
    }
  }
}

const PASSWORD = 'statement-count-secret';
/** Distinct users registering at once in the group statement count. */
const REGISTER_GROUP_SIZE = 10;
const GROUP_USERS = Array.from({ length: REGISTER_GROUP_SIZE }, (_, index) => `group-${index}`);
/** im.send commands in the run the statement count is pinned for. */
const IM_RUN_LENGTH = 10;

/** Each user's device has a UDP port of its own (a UDP address carries one device: protocol.md §1). */
const devicePorts = new Map<string, number>();

function contactOf(user: string) {
  if (!devicePorts.has(user)) devicePorts.set(user, 5070 + devicePorts.size);
  return {
    uri: `sip:${user}@127.0.0.1:${devicePorts.get(user)};transport=udp`,
    expires: 3600,
    instanceId: `<urn:uuid:${user}>`,
  };
}

function deviceOf(user: string): string {
  return contactOf(user).instanceId;
}

function aorOf(user: string): string {
  return `sip:${user}@${DOMAIN}`;
}

function command(user: string, envelope: { id: string; type: string } & Record<string, unknown>) {
  return commandFrom(deviceOf(user), envelope, 'INFO', aorOf(user));
}

describe('PostgreSQL statements per hot-path command (real PostgreSQL)', () => {
  const counter = new StatementCounter();
  let dataSource: DataSource;
  let bus: PushRecordingBus;
  let auth: AuthServices;
  let router: ImRouter;
  let presence: PresenceService;

  beforeAll(async () => {
    const options = createDataSource({ url: await migratedTestDatabase() }).options;
    dataSource = new DataSource({ ...options, logger: counter });
    await dataSource.initialize();
    bus = new PushRecordingBus();
    auth = createAuthServices(bus, dataSource, {
      domain: DOMAIN,
      maxExpiresSeconds: 7200,
      sweepIntervalMs: 3_600_000,
      sweepBatchSize: 10,
      adminToken: 'unused',
    });
    router = createImRouter({ bus, dataSource, config: { domain: DOMAIN, plainDeviceLoginGraceMs: 5_000 } });
    presence = createPresenceService(bus, dataSource);
    const accounts = createAccountService(dataSource, DOMAIN);
    for (const username of ['alice', 'bob', 'carol', ...GROUP_USERS]) {
      await accounts.create({ username, password: PASSWORD });
    }
    // bob and carol watch alice.
    await new TypeOrmUnitOfWork(dataSource).run((tx) =>
      new SqlRosterRepository().save(
        tx,
        ['bob', 'carol'].flatMap((watcher) => [
          { ownerAor: aorOf(watcher), buddyAor: aorOf('alice'), state: 'both' as const },
          { ownerAor: aorOf('alice'), buddyAor: aorOf(watcher), state: 'both' as const },
        ]),
      ),
    );
  });

  afterAll(async () => {
    await bus?.close();
    await dataSource?.destroy();
  });

  function register(user: string) {
    return auth.registrar.register(
      registerRequest({ username: user, password: PASSWORD, contacts: [contactOf(user)] }),
    );
  }

  function login(user: string, id: string): Promise<void> {
    return auth.commands.handle(command(user, { id, type: 'login', status: 'online' }));
  }

  function sessionStarted(user: string) {
    return sessionStartedV1.build({
      aor: aorOf(user),
      deviceId: deviceOf(user),
      carrier: 'INFO',
      status: 'online',
    });
  }

  it('REGISTER accepted: a new binding, then its refresh', async () => {
    expect(await counter.count(() => register('alice'))).toEqual(EXPECTED.registerNew);
    expect(await counter.count(() => register('alice'))).toEqual(EXPECTED.registerRefresh);
  });

  it('REGISTER refused (a wrong password) from a UDP address its device is not bound to', async () => {
    const refused = registerRequest({
      username: 'carol',
      password: `not-${PASSWORD}`,
      contacts: [contactOf('carol')],
    });
    expect(await counter.count(() => auth.registrar.register(refused))).toEqual(EXPECTED.registerRefused);
  });

  it('REGISTERs of distinct users handled at once: one group, then their refreshes', async () => {
    const registerAll = async () => {
      await Promise.all(GROUP_USERS.map(register));
    };
    const announced = () => bus.publishedTopics.filter((topic) => topic === deviceRegisteredV1.topic).length;
    const announcedBefore = announced();
    expect(await counter.count(registerAll)).toEqual(EXPECTED.registerGroup);
    expect(await counter.count(registerAll)).toEqual(EXPECTED.registerGroupRefresh);
    expect(announced() - announcedBefore).toBe(REGISTER_GROUP_SIZE);
  });

  it('device-registered of a new binding in im-router', async () => {
    const registered = deviceRegisteredV1.build({
      aor: aorOf('dave'),
      deviceId: deviceOf('dave'),
      contact: contactOf('dave').uri,
      edgeId: 'edge-0',
      flowId: 'udp:5060:127.0.0.1:5070',
      transport: 'udp',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      created: true,
    });
    expect(await counter.count(() => router.deviceRegistered(registered))).toEqual(
      EXPECTED.imDeviceRegistered,
    );
    const queued: unknown[] = await dataSource.query(`SELECT 1 FROM plain_device_queue WHERE aor = $1`, [
      aorOf('dave'),
    ]);
    expect(queued).toHaveLength(1);
  });

  it('login, then session-started in presence and im-router', async () => {
    expect(await counter.count(() => login('alice', 'login-alice'))).toEqual(EXPECTED.login);
    const started = sessionStarted('alice');
    expect(await counter.count(() => presence.sessionStarted(started))).toEqual(
      EXPECTED.presenceSessionStarted,
    );
    expect(
      await counter.count(() => router.deliverStored(started.aor, started.deviceId, new Date(started.at))),
    ).toEqual(EXPECTED.imSessionStarted);
  });

  it('im.send to a logged-in device, then its answered outcome', async () => {
    await register('bob');
    await login('bob', 'login-bob');
    const send = command('alice', { id: 'im-1', type: 'im.send', to: aorOf('bob'), text: 'hello' });
    expect(await counter.count(() => router.handleCommand(send))).toEqual(EXPECTED.imSend);

    // The result and the IM go out in one publish after the commit, the result first.
    const [result, delivery] = bus.pushes.slice(-2);
    expect([result.aor, delivery.aor]).toEqual([aorOf('alice'), aorOf('bob')]);
    expect(await counter.count(() => router.settle(answeredOutcome(result)))).toEqual(
      EXPECTED.imResultAnswered,
    );
    expect(await counter.count(() => router.settle(answeredOutcome(delivery)))).toEqual(EXPECTED.imDelivered);
    const [message]: Array<{ delivered: boolean }> = await dataSource.query(
      `SELECT m.delivered_at IS NOT NULL AS delivered
       FROM messages m JOIN message_deliveries d ON d.message_key = m.id WHERE d.push_id = $1`,
      [delivery.pushId],
    );
    expect(message.delivered).toBe(true);
  });

  it('a run of im.send of one sender: one transaction, each IM stored once, in order', async () => {
    const run = Array.from({ length: IM_RUN_LENGTH }, (_, index) =>
      command('alice', { id: `im-run-${index}`, type: 'im.send', to: aorOf('bob'), text: `hello ${index}` }),
    );
    const storedRun = async () =>
      (
        (await dataSource.query(
          `SELECT command_id FROM messages WHERE command_id LIKE 'im-run-%' ORDER BY seq`,
        )) as Array<{ command_id: string }>
      ).map((row) => row.command_id);
    const pushesBefore = bus.pushes.length;

    expect(await counter.count(() => router.handleCommands(run))).toEqual(EXPECTED.imSendRun);

    expect(await storedRun()).toEqual(run.map((event) => event.envelope.id));
    const pushed = bus.pushes.slice(pushesBefore).map((push) => [push.aor, JSON.parse(push.body).type]);
    // Each command's result, then its IM, in command order, in one publish after the commit.
    expect(pushed).toEqual(
      run.flatMap(() => [
        [aorOf('alice'), 'im.send.result'],
        [aorOf('bob'), 'im'],
      ]),
    );

    const firstPushes = bus.pushes.slice(pushesBefore);
    expect(await counter.count(() => router.handleCommands(run))).toEqual(EXPECTED.imSendRunRedelivered);
    expect(await storedRun()).toEqual(run.map((event) => event.envelope.id));
    // Redelivered before any answer: the results, and the IMs again under their push ids.
    const pushIdsTo = (pushes: typeof firstPushes) =>
      pushes.filter((push) => push.aor === aorOf('bob')).map((push) => push.pushId);
    expect(pushIdsTo(bus.pushes.slice(pushesBefore + firstPushes.length))).toEqual(pushIdsTo(firstPushes));

    const answered = firstPushes.filter((push) => push.aor === aorOf('bob')).map(answeredOutcome);
    expect(answered).toHaveLength(IM_RUN_LENGTH);
    const statusesBefore = bus.pushes.length;
    expect(await counter.count(() => router.settleAll(answered))).toEqual(EXPECTED.imDeliveredRun);
    const delivered: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM messages WHERE command_id LIKE 'im-run-%' AND delivered_at IS NOT NULL`,
    );
    expect(delivered[0].n).toBe(IM_RUN_LENGTH);
    expect(bus.pushes.slice(statusesBefore).map((push) => JSON.parse(push.body).state)).toEqual(
      answered.map(() => 'delivered'),
    );
  });

  it('presence.set fanned out to two watchers', async () => {
    await register('carol');
    await login('carol', 'login-carol');
    await presence.sessionStarted(sessionStarted('bob'));
    await presence.sessionStarted(sessionStarted('carol'));
    const away = command('alice', { id: 'presence-1', type: 'presence.set', status: 'away' });
    expect(await counter.count(() => presence.handleCommand(away))).toEqual(EXPECTED.presenceSet);
    const [aggregate]: Array<{ status: string }> = await dataSource.query(
      `SELECT status FROM presence_aggregates WHERE aor = $1`,
      [aorOf('alice')],
    );
    expect(aggregate.status).toBe('away');
  });

  it('concurrent runs of several senders: grouped, one transaction per group', async () => {
    // After the presence test: alice, bob and carol are registered and logged in.
    const ring: Array<[string, string]> = [
      ['carol', 'alice'],
      ['alice', 'bob'],
      ['bob', 'carol'],
    ];
    const runs = ring.map(([from, to]) =>
      Array.from({ length: IM_RUN_LENGTH }, (_, index) =>
        command(from, { id: `im-group-${index}`, type: 'im.send', to: aorOf(to), text: `${from} ${index}` }),
      ),
    );
    const pushesBefore = bus.pushes.length;

    expect(
      await counter.count(async () => {
        await Promise.all(runs.map((run) => router.handleCommands(run)));
      }),
    ).toEqual(EXPECTED.imSendConcurrentRuns);

    const pushed = bus.pushes.slice(pushesBefore);
    for (const [from, to] of ring) {
      const stored: Array<{ text: string }> = await dataSource.query(
        `SELECT text FROM messages WHERE sender_aor = $1 AND command_id LIKE 'im-group-%' ORDER BY seq`,
        [aorOf(from)],
      );
      const texts = Array.from({ length: IM_RUN_LENGTH }, (_, index) => `${from} ${index}`);
      expect(stored.map((row) => row.text)).toEqual(texts);
      const results = pushed.filter(
        (push) => push.aor === aorOf(from) && JSON.parse(push.body).type !== 'im',
      );
      expect(results.map((push) => JSON.parse(push.body).re)).toEqual(
        runs[0].map((event) => event.envelope.id),
      );
      const ims = pushed.filter((push) => push.aor === aorOf(to) && JSON.parse(push.body).type === 'im');
      expect(ims.map((push) => JSON.parse(push.body).text)).toEqual(texts);
    }

    const answeredRuns = ring.map(([, to]) =>
      pushed
        .filter((push) => push.aor === aorOf(to) && JSON.parse(push.body).type === 'im')
        .map(answeredOutcome),
    );
    const statusesBefore = bus.pushes.length;
    expect(
      await counter.count(async () => {
        await Promise.all(answeredRuns.map((run) => router.settleAll(run)));
      }),
    ).toEqual(EXPECTED.imDeliveredConcurrentRuns);
    const statuses = bus.pushes.slice(statusesBefore).map((push) => JSON.parse(push.body).state);
    expect(statuses).toEqual(answeredRuns.flat().map(() => 'delivered'));
  });

  it('a run of im.send and the outcomes of another, at once: one group, one transaction', async () => {
    // After the presence test: alice, bob and carol are registered and logged in.
    const runOf = (from: string, to: string, prefix: string) =>
      Array.from({ length: IM_RUN_LENGTH }, (_, index) =>
        command(from, {
          id: `${prefix}-${index}`,
          type: 'im.send',
          to: aorOf(to),
          text: `${prefix} ${index}`,
        }),
      );
    const pushesBefore = bus.pushes.length;
    await router.handleCommands(runOf('alice', 'bob', 'im-mixed-a'));
    const answered = bus.pushes
      .slice(pushesBefore)
      .filter((push) => push.aor === aorOf('bob'))
      .map(answeredOutcome);
    const next = runOf('alice', 'carol', 'im-mixed-c');
    const publishedBefore = bus.pushes.length;

    expect(
      await counter.count(async () => {
        await Promise.all([router.handleCommands(next), router.settleAll(answered)]);
      }),
    ).toEqual(EXPECTED.imSendWithDeliveredRun);

    const published = bus.pushes.slice(publishedBefore).map((push) => JSON.parse(push.body));
    expect(published.filter((body) => body.type === 'im.status').map((body) => body.state)).toEqual(
      answered.map(() => 'delivered'),
    );
    expect(published.filter((body) => body.type === 'im').map((body) => body.text)).toEqual(
      next.map((event) => event.envelope['text']),
    );
    const delivered: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM messages WHERE command_id LIKE 'im-mixed-a-%' AND delivered_at IS NOT NULL`,
    );
    expect(delivered[0].n).toBe(IM_RUN_LENGTH);
  });
});
