// Kafka down and PostgreSQL down (protocol.md §2): 503 with Retry-After, never a 200 for something
// not stored, and service again once they return. With the requests over the edge link (the
// default) a service answers what it can store without Kafka while Kafka is down. The separate apps run on a broker and a database
// server of this file only (paused with SIGSTOP, resumed with SIGCONT); the embedded default's own
// PostgreSQL is paused the same way.
import type { SipResponse } from '#herald/sip';
import { HeraldCluster } from '../support/herald-cluster';
import { HeraldEmbedded } from '../support/herald-embedded';
import { PrivateServer } from '../support/herald-infrastructure';
import type { HeraldTarget } from '../support/herald-target';
import { commandId, commandResult, Devices, expectStatus } from './e2e-support';

/** Cold broker + database + four apps on a busy machine. */
const START_TIMEOUT_MS = 300_000;
const OUTAGE_TEST_TIMEOUT_MS = 120_000;
/** How long REGISTER waits for auth's decision before 503 (short, to keep the test fast). */
const REGISTER_DECISION_TIMEOUT_MS = 2_000;

function expectUnavailable(response: SipResponse): void {
  expectStatus(response, 503);
  expect(response.retryAfter).toBeDefined();
}

/**
 * The four apps on a broker and a database server of their own (so they can be paused), for the
 * enclosing describe: its devices, and the broker and server as they start.
 */
function clusterOfItsOwn(env: Record<string, string>) {
  const servers: { kafka?: PrivateServer; postgres?: PrivateServer; cluster?: HeraldCluster } = {};
  const cluster = (): HeraldCluster => {
    if (servers.cluster === undefined) throw new Error('the cluster did not start');
    return servers.cluster;
  };
  const devices = new Devices(cluster);
  beforeAll(async () => {
    [servers.kafka, servers.postgres] = await Promise.all([PrivateServer.kafka(), PrivateServer.postgres()]);
    servers.cluster = await HeraldCluster.start({
      kafkaBrokers: [servers.kafka.address],
      databaseUrl: servers.postgres.address,
      env: { HERALD_SIP_REGISTER_TIMEOUT_MS: String(REGISTER_DECISION_TIMEOUT_MS), ...env },
    });
  }, START_TIMEOUT_MS);
  afterEach(() => devices.closeAll());
  afterAll(async () => {
    await servers.cluster?.stop();
    await Promise.all([servers.kafka?.stop(), servers.postgres?.stop()]);
  }, START_TIMEOUT_MS);
  const started = (server: PrivateServer | undefined): PrivateServer => {
    if (server === undefined) throw new Error('the private servers did not start');
    return server;
  };
  return {
    cluster,
    devices,
    kafka: { pause: () => started(servers.kafka).pause(), resume: () => started(servers.kafka).resume() },
    postgres: {
      pause: () => started(servers.postgres).pause(),
      resume: () => started(servers.postgres).resume(),
    },
  };
}

describe('separate apps on Kafka, requests on Kafka only (HERALD_EDGE_LINK_REQUESTS=false)', () => {
  const { cluster, devices, kafka, postgres } = clusterOfItsOwn({ HERALD_EDGE_LINK_REQUESTS: 'false' });

  it(
    'Kafka down: REGISTER and commands get 503 with Retry-After; after it returns, 200 and the result',
    async () => {
      const alice = await devices.loggedIn(await devices.account('alice'), 'udp', 'INFO');
      const bob = await devices.device(await devices.account('bob'), 'tcp');
      await kafka.pause();
      try {
        expectUnavailable(await alice.command({ v: 1, id: commandId(), type: 'profile.get' }));
        expectUnavailable(await bob.register());
        // The edge stays in the load balancer (ready: Kafka is not part of its readiness) to say so.
        expect((await fetch(`${cluster().operationsUrl('sip-edge')}/health/ready`)).status).toBe(200);
      } finally {
        await kafka.resume();
      }
      const result = await retryUntilAccepted(() =>
        commandResult(alice, { type: 'profile.get' }, 'INFO').then((push) => push.envelope),
      );
      expect(result).toMatchObject({ ok: true });
      expectStatus(await retryUntilRegistered(() => bob.register()), 200);
    },
    OUTAGE_TEST_TIMEOUT_MS,
  );

  it(
    'PostgreSQL down: REGISTER gets 503 with Retry-After; a command Kafka stored is answered once it returns',
    async () => {
      const alice = await devices.loggedIn(await devices.account('alice'), 'udp', 'INFO');
      const bob = await devices.device(await devices.account('bob'), 'tcp');
      const id = commandId();
      const from = alice.pushes.length;
      await postgres.pause();
      try {
        expectUnavailable(await bob.register());
        // Kafka acknowledged it, so the 200 is honest: the command is stored and waits for auth.
        expectStatus(await alice.command({ v: 1, id, type: 'profile.get' }), 200);
      } finally {
        await postgres.resume();
      }
      const result = await alice.waitForPush((push) => push.envelope?.['re'] === id, 60_000, from);
      expect(result.envelope).toMatchObject({ ok: true });
      expectStatus(await retryUntilRegistered(() => bob.register()), 200);
    },
    OUTAGE_TEST_TIMEOUT_MS,
  );
});

describe('separate apps on Kafka, requests over the edge link (HERALD_EDGE_LINK_REQUESTS=true, the default)', () => {
  const { devices, kafka } = clusterOfItsOwn({ HERALD_EDGE_LINK_REQUESTS: 'true' });

  it(
    'Kafka down: a command and a REGISTER the services store without Kafka are answered over the link, 200 and the result',
    async () => {
      // Alice's login reaches auth on Kafka (auth has not connected to the edge yet) and its result
      // comes back over the link, after auth's assignment on the same connection: from then on
      // auth's partitions are owned at the edge. Her key stays on Kafka for the hold (her later
      // records must not overtake the login), so Carol's and Bob's are the ones measured.
      await devices.loggedIn(await devices.account('alice'), 'udp', 'INFO');
      const carol = await devices.loggedIn(await devices.account('carol'), 'udp', 'INFO');
      const bob = await devices.device(await devices.account('bob'), 'tcp');
      await kafka.pause();
      try {
        // auth stores the command's claim and sends its result over the link: nothing needs Kafka.
        const result = await commandResult(carol, { type: 'profile.get' }, 'INFO');
        expect(result.envelope).toMatchObject({ ok: true });
        // auth commits the binding and sends its decision over the link; the device-registered
        // event for the other services waits in auth (retried in place) until Kafka returns.
        expectStatus(await bob.register(), 200);
      } finally {
        await kafka.resume();
      }
    },
    OUTAGE_TEST_TIMEOUT_MS,
  );
});

describe('embedded default', () => {
  let embedded: HeraldEmbedded | undefined;
  const target = (): HeraldTarget => {
    if (embedded === undefined) throw new Error('the embedded default did not start');
    return embedded;
  };
  const devices = new Devices(target);

  beforeAll(async () => {
    embedded = await HeraldEmbedded.start({
      env: { HERALD_SIP_REGISTER_TIMEOUT_MS: String(REGISTER_DECISION_TIMEOUT_MS) },
    });
  }, START_TIMEOUT_MS);
  afterEach(() => devices.closeAll());
  afterAll(() => embedded?.stop(), START_TIMEOUT_MS);

  it(
    'PostgreSQL down: REGISTER and commands get 503 with Retry-After (nothing unstored gets 200), then 200 once it returns',
    async () => {
      const alice = await devices.loggedIn(await devices.account('alice'), 'udp', 'INFO');
      const bob = await devices.device(await devices.account('bob'), 'udp');
      const pids = await embedded!.postgresPids();
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      try {
        expectUnavailable(await bob.register());
        expectUnavailable(await alice.command({ v: 1, id: commandId(), type: 'profile.get' }));
      } finally {
        for (const pid of pids) process.kill(pid, 'SIGCONT');
      }
      expectStatus(await retryUntilRegistered(() => bob.register()), 200);
      const result = await retryUntilAccepted(() =>
        commandResult(alice, { type: 'profile.get' }, 'INFO').then((push) => push.envelope),
      );
      expect(result).toMatchObject({ ok: true });
    },
    OUTAGE_TEST_TIMEOUT_MS,
  );
});

/** After an outage, clients retry after Retry-After; a few quick retries stand in for that. */
const RECOVERY_ATTEMPTS = 20;
const RECOVERY_PAUSE_MS = 1_000;

async function retryUntilRegistered(register: () => Promise<SipResponse>): Promise<SipResponse> {
  let response = await register();
  for (let attempt = 1; attempt < RECOVERY_ATTEMPTS && response.status === 503; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, RECOVERY_PAUSE_MS));
    response = await register();
  }
  return response;
}

async function retryUntilAccepted<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= RECOVERY_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, RECOVERY_PAUSE_MS));
    }
  }
}
