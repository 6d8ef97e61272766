import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import type { BenchDevice } from './lib/bench-device';
import { befriend, commandId, loggedInDevice, readState, sleep } from './lib/bench-state';
import { BENCH_DOMAIN, benchUser } from './lib/herald-launch';
import { PollServer } from './lib/poll-server';
import { mean, quantile, recordResult } from './lib/results';

const USERS = Number(process.env['BENCH_POLL_USERS'] ?? 40);
/** Buddies per user: the 15 users before and the 15 after, on a ring. */
const BUDDIES_EACH_SIDE = 15;
const STATUS_CHANGES_PER_DAY = 20;
const IMS_PER_DAY = 5;
/** One simulated hour is played in 3600 / TIME_SCALE real seconds. */
const TIME_SCALE = Number(process.env['BENCH_TIME_SCALE'] ?? 60);
const SIMULATED_SECONDS = 3_600;
const POLL_INTERVALS_S = [1, 5, 30];
/** Users after the SIPp, latency and fan-out ranges. */
const POLL_USERS_OFFSET = 1_200;
const SETUP_CONCURRENCY = 20;
/** Setup and the played hour end once no push arrived for this long (at most QUIET_MAX_MS). */
const QUIET_MS = 3_000;
const QUIET_MAX_MS = 60_000;
const IDLE_SAMPLE_POLLS = 10;
/** Herald's registration refresh interval for an idle device (HERALD_MAX_EXPIRES default). */
const REGISTER_EXPIRES_S = 3_600;
const STATUSES = ['away', 'busy', 'online'] as const;

interface WorkloadEvent {
  id: string;
  atSimulatedS: number;
  user: number;
  kind: 'status' | 'im';
  status: string;
  to: number;
}

/** Deterministic pseudo-random numbers (mulberry32), so every side gets the same workload. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function buddiesOf(user: number): number[] {
  const buddies: number[] = [];
  for (let k = 1; k <= BUDDIES_EACH_SIDE; k++) {
    buddies.push((user + k) % USERS, (user - k + USERS) % USERS);
  }
  return buddies;
}

/** Poisson arrivals per user over the simulated hour: status changes and IMs to a random buddy. */
function workload(): WorkloadEvent[] {
  const next = random(6);
  const events: WorkloadEvent[] = [];
  const current = new Map<number, number>();
  for (let user = 0; user < USERS; user++) {
    for (const [kind, perDay] of [
      ['status', STATUS_CHANGES_PER_DAY],
      ['im', IMS_PER_DAY],
    ] as const) {
      for (let at = -Math.log(1 - next()) * (86_400 / perDay); at < SIMULATED_SECONDS;) {
        const statusIndex = ((current.get(user) ?? 2) + 1) % STATUSES.length;
        if (kind === 'status') current.set(user, statusIndex);
        const buddies = buddiesOf(user);
        events.push({
          id: `ev-${events.length}`,
          atSimulatedS: at,
          user,
          kind,
          status: STATUSES[statusIndex] as string,
          to: buddies[Math.floor(next() * buddies.length)] as number,
        });
        at += -Math.log(1 - next()) * (86_400 / perDay);
      }
    }
  }
  return events.sort((a, b) => a.atSimulatedS - b.atSimulatedS);
}

async function playSchedule(
  events: readonly WorkloadEvent[],
  fire: (event: WorkloadEvent) => void,
): Promise<void> {
  const started = Date.now();
  for (const event of events) {
    const due = started + (event.atSimulatedS / TIME_SCALE) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
    fire(event);
  }
  const end = started + (SIMULATED_SECONDS / TIME_SCALE) * 1000;
  if (end > Date.now()) await sleep(end - Date.now());
}

/** Delays in simulated milliseconds, split by kind. */
interface Delays {
  status: number[];
  im: number[];
}

function report(
  side: string,
  delays: Delays,
  bytesUnderLoad: number,
  idleBytesPerUserHour: number,
  note: string,
) {
  const all = [...delays.status, ...delays.im];
  recordResult('polling', 'status/IM delay mean', side, mean(all), 'ms', note);
  recordResult('polling', 'status/IM delay p99', side, quantile(all, 0.99), 'ms');
  recordResult('polling', 'bytes per user-hour, idle', side, idleBytesPerUserHour, 'B');
  recordResult(
    'polling',
    'bytes per user-hour, under load',
    side,
    bytesUnderLoad / USERS + idleBytesPerUserHour,
    'B',
  );
}

async function heraldSide(stateFile: string, mode: string, base: number, events: readonly WorkloadEvent[]) {
  const state = readState(stateFile, mode);
  const sentAt = new Map<string, bigint>();
  const delays: Delays = { status: [], im: [] };
  const devices = new Map<number, BenchDevice>();
  let lastPushAt = Date.now();
  const quiet = async () => {
    const deadline = Date.now() + QUIET_MAX_MS;
    while (Date.now() - lastPushAt < QUIET_MS && Date.now() < deadline) await sleep(200);
  };
  const aor = (user: number) => `sip:${benchUser(base + user)}@${BENCH_DOMAIN}`;
  for (let user = 0; user < USERS; user++) {
    devices.set(
      user,
      await loggedInDevice(state, base + user, (envelope, receivedAt) => {
        lastPushAt = Date.now();
        const key =
          envelope.type === 'presence'
            ? `${String(envelope['uri'])}|${String(envelope['status'])}`
            : envelope.type === 'im'
              ? String(envelope['text'])
              : undefined;
        const started = key === undefined ? undefined : sentAt.get(key);
        if (started === undefined) return;
        (envelope.type === 'im' ? delays.im : delays.status).push(Number(receivedAt - started) / 1e6);
      }),
    );
  }
  const pairs: (readonly [number, number])[] = [];
  for (let user = 0; user < USERS; user++) {
    for (let k = 1; k <= BUDDIES_EACH_SIDE; k++) pairs.push([user, (user + k) % USERS]);
  }
  const byIndex = new Map([...devices].map(([user, device]) => [base + user, device]));
  await befriend(
    byIndex,
    pairs.map(([a, b]) => [base + a, base + b] as const),
    SETUP_CONCURRENCY,
  );
  await quiet();
  const bytes = () => [...devices.values()].reduce((sum, d) => sum + d.bytesSent + d.bytesReceived, 0);
  const before = bytes();
  const failures: Error[] = [];
  await playSchedule(events, (event) => {
    const device = devices.get(event.user) as BenchDevice;
    const command =
      event.kind === 'status'
        ? { id: commandId('st'), type: 'presence.set', status: event.status }
        : { id: commandId('im'), type: 'im.send', to: aor(event.to), text: event.id };
    sentAt.set(
      event.kind === 'status' ? `${aor(event.user)}|${event.status}` : event.id,
      process.hrtime.bigint(),
    );
    device.command(command).catch((error: Error) => failures.push(error));
  });
  await quiet();
  const underLoad = bytes() - before;
  // Idle: nothing but the registration refresh (no keep-alives in protocol.md), measured once.
  const refresher = devices.get(0) as BenchDevice;
  const beforeRefresh = refresher.bytesSent + refresher.bytesReceived;
  await refresher.register(REGISTER_EXPIRES_S);
  const refreshBytes = refresher.bytesSent + refresher.bytesReceived - beforeRefresh;
  await Promise.all([...devices.values()].map((device) => device.close()));
  report(
    `herald-${mode} push`,
    delays,
    underLoad,
    refreshBytes * (3_600 / REGISTER_EXPIRES_S),
    `${delays.status.length} status and ${delays.im.length} IM deliveries, ${failures.length} refused; real-time delays`,
  );
}

/** GET/POST with a keep-alive agent; resolves with the parsed JSON body. */
function call(agent: Agent, port: number, method: string, path: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: payload ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve(JSON.parse(text)));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function pollingSide(intervalS: number, events: readonly WorkloadEvent[]) {
  const server = new PollServer((user) => buddiesOf(Number(user)).map(String));
  const port = await server.listen();
  const agents = Array.from({ length: USERS }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const sentAt = new Map<string, number>();
  const delays: Delays = { status: [], im: [] };
  const since = new Array<number>(USERS).fill(0);
  const failures: Error[] = [];
  const poll = async (user: number) => {
    const answer = (await call(
      agents[user] as Agent,
      port,
      'GET',
      `/poll?user=${user}&since=${since[user]}`,
    )) as {
      seq: number;
      events: { kind: string; text?: string }[];
    };
    since[user] = answer.seq;
    for (const event of answer.events) {
      const started = sentAt.get(event.text ?? '');
      if (started !== undefined)
        (event.kind === 'im' ? delays.im : delays.status).push((Date.now() - started) * TIME_SCALE);
    }
  };
  // Idle cost of one poll, on an open connection.
  for (let i = 0; i < IDLE_SAMPLE_POLLS + 1; i++) await poll(0);
  const idleStart = server.bytes();
  for (let i = 0; i < IDLE_SAMPLE_POLLS; i++) await poll(0);
  const bytesPerIdlePoll = (server.bytes() - idleStart) / IDLE_SAMPLE_POLLS;
  const intervalMs = (intervalS * 1000) / TIME_SCALE;
  let polls = 0;
  let running = true;
  const loops = Array.from({ length: USERS }, async (_, user) => {
    await sleep(Math.random() * intervalMs);
    while (running) {
      const started = Date.now();
      await poll(user).catch((error: Error) => failures.push(error));
      polls++;
      await sleep(Math.max(0, intervalMs - (Date.now() - started)));
    }
  });
  const before = server.bytes();
  await playSchedule(events, (event) => {
    sentAt.set(event.id, Date.now());
    const body =
      event.kind === 'status'
        ? { user: String(event.user), status: event.status, text: event.id }
        : { user: String(event.user), to: String(event.to), text: event.id };
    call(agents[event.user] as Agent, port, 'POST', event.kind === 'status' ? '/status' : '/im', body).catch(
      (error: Error) => failures.push(error),
    );
  });
  // One more interval, so changes made at the end of the hour are still polled.
  await sleep(intervalMs + QUIET_MS / TIME_SCALE);
  running = false;
  await Promise.all(loops);
  const underLoad = server.bytes() - before - polls * bytesPerIdlePoll;
  for (const agent of agents) agent.destroy();
  await server.close();
  const expectedPolls = (USERS * SIMULATED_SECONDS) / intervalS;
  report(
    `HTTP polling every ${intervalS} s`,
    delays,
    underLoad,
    bytesPerIdlePoll * (3_600 / intervalS),
    `${delays.status.length + delays.im.length} deliveries, ${polls}/${expectedPolls.toFixed(0)} polls made, ${failures.length} failed; delays scaled back by ${TIME_SCALE}`,
  );
}

/**
 * The patent's claim: Herald push against HTTP polling every 1, 5 and 30 s, same users (USERS,
 * 30 buddies each) and workload (20 status changes and 5 IMs per user per day, Poisson), one
 * simulated hour played TIME_SCALE times faster.
 *   node dist/bench/polling.js --state FILE --mode embedded|kafka --users BENCH_USERS
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      state: { type: 'string' },
      mode: { type: 'string', default: 'embedded' },
      users: { type: 'string', default: '5000' },
    },
  });
  const events = workload();
  console.log(
    `polling: ${USERS} users, ${events.filter((e) => e.kind === 'status').length} status changes and ` +
      `${events.filter((e) => e.kind === 'im').length} IMs in one simulated hour, time scale ${TIME_SCALE}`,
  );
  await heraldSide(
    values.state ?? '',
    values.mode ?? 'embedded',
    Number(values.users) + POLL_USERS_OFFSET,
    events,
  );
  for (const interval of POLL_INTERVALS_S) await pollingSide(interval, events);
}

main().catch((error: unknown) => {
  console.error('polling: failed', error);
  process.exit(1);
});
