// Issue 4, scale-out: two edges and two replicas of every service on one Kafka and one
// PostgreSQL; users spread over both edges exchange presence changes and IMs under a steady load
// while one replica of each service and then one edge die by SIGKILL. Nothing accepted with a
// 200 OK may be lost, no IM may reach an application under two messageIds, presence converges.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceStatus } from '#herald/contracts';
import { type ClusterSide, HeraldScaledCluster } from '../support/herald-scaled-cluster';
import { deliveryReport, plainTextArrivals, presenceMismatches, type SentIm } from './scale-out-checks';
import { drain } from './drain';
import { SimulatedUser, type SimulatedUserSettings } from './simulated-user';
import { randomSource } from '../support/seeded-random';

const USER_COUNT = 8;
const PASSWORD = 'scale-out-secret-password';
/** Short registrations, so the bindings of the dead edge's devices expire within the test. */
const MIN_EXPIRES_SECONDS = 10;
/**
 * Longer than a killed replica's partitions stay unserved (kafkajs' 30 s session timeout plus
 * the rebalance): a live device's refreshes in that time get 503, and its binding must outlast it.
 */
const EXPIRES_SECONDS = 45;
const REFRESH_INTERVAL_MS = 6_000;
const AUTH_SWEEP_INTERVAL_MS = 500;
/** The client's T1: Timer F (6.4 s) outlasts the edge's REGISTER decision timeout (5 s, then 503). */
const CLIENT_T1_MS = 100;
const RETRY_AFTER_SECONDS = 1;
/**
 * Below the edge's 64*T1 (HeraldCluster's T1 of 50 ms: 3.2 s), the life of its server
 * transaction: with the default 5 s a slow decision never becomes 503, the transaction is gone,
 * and the client's next retransmission is taken for a replayed nonce count (401).
 */
const REGISTER_DECISION_TIMEOUT_MS = 2_500;

/** Each user acts every ACTION_INTERVAL_MS * [0.5, 1.5): about 5 actions per second in all. */
const ACTION_INTERVAL_MS = 1_500;
const LOAD_MS = 36_000;
const KILL_REPLICAS_AT_MS = 6_000;
const KILL_EDGE_AT_MS = 14_000;
/** How long one command may keep being re-sent (a killed replica's partitions wait ~30 s). */
const COMMAND_DEADLINE_MS = 45_000;
const SETUP_RESULT_WAIT_MS = 20_000;
/** After the load: the dead edge's bindings expire (EXPIRES_SECONDS after their last refresh). */
const DRAIN_TIMEOUT_MS = 75_000;
const DRAIN_POLL_MS = 250;

const CLUSTER_START_TIMEOUT_MS = 300_000;
const SCENARIO_TIMEOUT_MS = 240_000;

/** The replicas of side 0 die, then side 1's edge: side 0's edge and side 1's services survive. */
const REPLICAS_KILLED: ClusterSide = 0;
const EDGE_KILLED: ClusterSide = 1;
const STATUSES: readonly DeviceStatus[] = ['online', 'away', 'busy', 'invisible'];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Neighbours on a ring plus opposite users: every user has three buddies, most on the other edge. */
function buddyPairs(users: readonly SimulatedUser[]): [SimulatedUser, SimulatedUser][] {
  const half = users.length / 2;
  const ring = users.map(
    (user, index) => [user, users[(index + 1) % users.length]!] as [SimulatedUser, SimulatedUser],
  );
  const across = users
    .slice(0, half)
    .map((user, index) => [user, users[index + half]!] as [SimulatedUser, SimulatedUser]);
  return [...ring, ...across];
}

describe('scale-out: two edges, two replicas per service, SIGKILLs under load', () => {
  jest.setTimeout(SCENARIO_TIMEOUT_MS);
  let cluster: HeraldScaledCluster | undefined;
  const users: SimulatedUser[] = [];

  beforeAll(async () => {
    cluster = await HeraldScaledCluster.start({
      env: {
        HERALD_MIN_EXPIRES: String(MIN_EXPIRES_SECONDS),
        HERALD_MAX_EXPIRES: String(EXPIRES_SECONDS),
        HERALD_AUTH_SWEEP_INTERVAL_MS: String(AUTH_SWEEP_INTERVAL_MS),
        HERALD_SIP_RETRY_AFTER_SECONDS: String(RETRY_AFTER_SECONDS),
        HERALD_SIP_REGISTER_TIMEOUT_MS: String(REGISTER_DECISION_TIMEOUT_MS),
      },
    });
  }, CLUSTER_START_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(users.map((user) => user.close()));
    if (cluster !== undefined) {
      await cluster.stop();
      const directory = join(tmpdir(), `herald-scale-out-${Date.now()}`);
      console.log(
        `scale-out: process logs in ${cluster.writeLogs(directory).length} files under ${directory}`,
      );
    }
  });

  it('loses no accepted IM, delivers none under two messageIds, and converges presence', async () => {
    if (cluster === undefined) throw new Error('the scaled cluster did not start');
    const scaled = cluster;
    const seed = Number.parseInt(randomBytes(4).toString('hex'), 16);
    const random = randomSource(seed);
    const settings: SimulatedUserSettings = {
      domain: scaled.domain,
      password: PASSWORD,
      expiresSeconds: EXPIRES_SECONDS,
      clientT1Ms: CLIENT_T1_MS,
    };
    const run = randomBytes(3).toString('hex');
    for (let index = 0; index < USER_COUNT; index += 1) {
      const name = `so${run}-u${index}`;
      await scaled.createAccount(name, PASSWORD);
      const side: ClusterSide = index < USER_COUNT / 2 ? 0 : 1;
      users.push(new SimulatedUser(name, scaled.side(side).address('udp'), settings));
    }
    const onKilledEdge = users.slice(USER_COUNT / 2);
    const setupDeadline = Date.now() + COMMAND_DEADLINE_MS;
    for (const connected of await Promise.all(users.map((user) => user.connect(setupDeadline)))) {
      expect(connected).toBe(true);
    }

    const buddies = buddyPairs(users);
    for (const [asker, answerer] of buddies) {
      const add = asker.newCommandId();
      expect(
        await asker.command({ v: 1, id: add, type: 'roster.add', uri: answerer.aor }, setupDeadline),
      ).toBe(true);
      expect(await asker.result(add, SETUP_RESULT_WAIT_MS)).toMatchObject({ ok: true });
      const answer = answerer.newCommandId();
      const accept = { v: 1, id: answer, type: 'buddy.answer', from: asker.aor, accept: true };
      expect(await answerer.command(accept, setupDeadline)).toBe(true);
      expect(await answerer.result(answer, SETUP_RESULT_WAIT_MS)).toMatchObject({ ok: true });
    }

    // The load: every user alternates IMs to anyone and presence changes, refreshing on the way.
    const sent: SentIm[] = [];
    let presenceChanges = 0;
    let imNumber = 0;
    const loadStart = Date.now();
    const loadEnd = loadStart + LOAD_MS;
    const act = async (user: SimulatedUser): Promise<void> => {
      const deadline = Date.now() + COMMAND_DEADLINE_MS;
      const id = user.newCommandId();
      if (random() < 0.5) {
        const others = users.filter((other) => other !== user);
        const to = others[Math.floor(random() * others.length)]!;
        imNumber += 1;
        const text = `im #${imNumber} from ${user.name} to ${to.name}`;
        const accepted = await user.command({ v: 1, id, type: 'im.send', to: to.aor, text }, deadline);
        sent.push({ commandId: id, from: user, to, text, accepted });
        return;
      }
      const choices = STATUSES.filter((status) => status !== user.status);
      const status = choices[Math.floor(random() * choices.length)]!;
      if (await user.command({ v: 1, id, type: 'presence.set', status }, deadline)) {
        user.status = status;
        presenceChanges += 1;
      }
    };
    const lane = async (user: SimulatedUser): Promise<void> => {
      let refreshAt = Date.now() + REFRESH_INTERVAL_MS;
      while (Date.now() < loadEnd) {
        await sleep(ACTION_INTERVAL_MS * (0.5 + random()));
        if (Date.now() >= refreshAt) {
          await user.refresh(Date.now() + COMMAND_DEADLINE_MS);
          refreshAt = Date.now() + REFRESH_INTERVAL_MS;
        } else {
          await act(user);
        }
      }
    };
    const failures = (async () => {
      await sleep(KILL_REPLICAS_AT_MS);
      await Promise.all(
        (['auth', 'presence', 'im-router'] as const).map((app) => scaled.kill(REPLICAS_KILLED, app)),
      );
      console.log(
        `scale-out: SIGKILL auth, presence, im-router of side ${REPLICAS_KILLED} at ${Date.now() - loadStart} ms`,
      );
      await sleep(KILL_EDGE_AT_MS - KILL_REPLICAS_AT_MS);
      await scaled.kill(EDGE_KILLED, 'sip-edge');
      const edgeKilledAt = Date.now() - loadStart;
      console.log(`scale-out: SIGKILL sip-edge of side ${EDGE_KILLED} at ${edgeKilledAt} ms`);
      const survivor = scaled.side(REPLICAS_KILLED).address('udp');
      await Promise.all(onKilledEdge.map((user) => user.moveTo(survivor)));
    })();
    await Promise.all([...users.map(lane), failures]);

    // Every user ends with one accepted status, then the bindings are kept alive while draining.
    const finalDeadline = Date.now() + COMMAND_DEADLINE_MS;
    const finalNotAccepted = (
      await Promise.all(
        users.map(async (user) => {
          const status = STATUSES[Math.floor(random() * STATUSES.length)]!;
          const set = { v: 1, id: user.newCommandId(), type: 'presence.set', status };
          if (!(await user.command(set, finalDeadline))) return [user.name];
          user.status = status;
          presenceChanges += 1;
          return [];
        }),
      )
    ).flat();
    expect(finalNotAccepted).toEqual([]);
    const lastChangeAt = Date.now();
    const { deliveredAfterMs, convergedAfterMs } = await drain(users, {
      since: lastChangeAt,
      boundMs: DRAIN_TIMEOUT_MS,
      refreshIntervalMs: REFRESH_INTERVAL_MS,
      commandDeadlineMs: COMMAND_DEADLINE_MS,
      pollMs: DRAIN_POLL_MS,
      delivered: () => deliveryReport(users, sent).missing.length === 0,
      converged: () => presenceMismatches(buddies).length === 0,
    });

    const report = deliveryReport(users, sent);
    const mismatches = presenceMismatches(buddies);
    const plainText = plainTextArrivals(users);
    const accepted = sent.filter((im) => im.accepted);
    const resultsNotOk = accepted.flatMap((im) =>
      im.from
        .pushesOf('im.send.result')
        .filter(({ envelope }) => envelope['re'] === im.commandId && envelope['ok'] !== true)
        .map(({ envelope }) => envelope),
    );
    console.log(
      [
        `scale-out (seed ${seed}): ${users.length} users, ${buddies.length} buddy pairs, load ${LOAD_MS} ms`,
        `IMs sent ${sent.length}, accepted (200 OK) ${accepted.length}, delivered (distinct) ${report.delivered}, ` +
          `missing ${report.missing.length}, under several messageIds ${report.underSeveralIds.length}`,
        `duplicates by messageId: ${report.duplicatesById.length} ` +
          JSON.stringify(
            report.duplicatesById.map((dup) => `${dup.recipient} ${dup.messageId} x${dup.arrivals}`),
          ),
        `im.send results not ok: ${resultsNotOk.length} ${JSON.stringify(resultsNotOk)}`,
        `IMs received as text/plain: ${plainText.length} ${JSON.stringify(plainText)}`,
        `presence changes accepted ${presenceChanges}, presence pushes received ` +
          `${users.reduce((sum, user) => sum + user.pushesOf('presence').length, 0)}`,
        `all accepted IMs delivered ${deliveredAfterMs ?? 'never'} ms, presence converged ` +
          `${convergedAfterMs ?? 'never'} ms after the last change`,
      ].join('\n'),
    );

    expect(accepted.length).toBeGreaterThan(0);
    expect(report.missing.map((im) => `${im.commandId}: ${im.text}`)).toEqual([]);
    expect(report.underSeveralIds).toEqual([]);
    expect(resultsNotOk).toEqual([]);
    expect(plainText).toEqual([]);
    expect(mismatches).toEqual([]);
  });
});
