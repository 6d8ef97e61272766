import { parseArgs } from 'node:util';
import type { BenchDevice, DeviceOptions, RegisterMode } from './lib/bench-device';
import {
  aorOf,
  commandId,
  loggedInDevice,
  registeredDevice,
  type SipServer,
  withConcurrency,
} from './lib/bench-state';
import { BenchDeployment, type MeasuredDeployment } from './lib/deployment';
import { describeIdleWait, type IdleWaiter } from './lib/herald-idle';
import { KamailioDeployment } from './lib/kamailio';
import { msSince, type OperationLatencies, OperationFailure, runOpenLoop } from './lib/open-loop';
import { pgActivity, pgSnapshotFlushed, type PgSnapshot, printPgActivity } from './lib/pg-activity';
import {
  analyzeWarmedTables,
  describeWarmedAnalyze,
  NOT_SETTLED,
  settlePostgresUnless,
} from './lib/pg-settle';
import { PgProcessCpu, pgProcessShares, printPgProcessShares } from './lib/pg-processes';
import { cpuBetween, ProcessTreeCpu } from './lib/process-cpu';
import { machineInfo } from './lib/results';
import {
  checkoutCommit,
  type CpuStep,
  idleCpuPerSecond,
  measuredStep,
  printSteps,
  writeRecord,
} from './lib/cpu-report';

/** An operation without its final answer (REGISTER: each transaction; IM: the 200 and the push) this long failed. */
const OPERATION_TIMEOUT_MS = 5_000;
/** Idle CPU of the deployment is sampled this long before each step (background work, e.g. Kafka). */
const IDLE_SAMPLE_MS = 5_000;
/** Longest wait for Herald to drain before a step and after it (then noted in the record). */
const IDLE_MAX_MS = 60_000;
/**
 * Longest wait for Herald to drain the set-up before the first step: im-router serves new bindings
 * as plain devices 100 a second, so a set-up of thousands leaves a minute or more of them.
 */
const SETUP_DRAIN_MAX_MS = 300_000;
/**
 * REGISTER devices: a device refreshes again only once its last refresh settled; the pool holds
 * the highest rate times this many seconds of devices, more than a refresh may take (two transactions
 * of at most 5 s each only when failing), so the pool runs dry only when Herald is that slow.
 */
const DEVICE_POOL_SECONDS = 6;
const SETUP_CONCURRENCY = 25;
const REGISTER_EXPIRES_SECONDS = 3600;
/** Every IM text of this run starts so: a repeated push is told apart from anything else pushed. */
const IM_TEXT_PREFIX = `cpu-per-op ${process.pid} `;

/** The load: one operation of it, what it says about itself, and its devices to close. */
interface Workload {
  operation(sequence: number): Promise<OperationLatencies>;
  /** Per step: anything to know about the operations beyond the counts (e.g. how many were challenged). */
  takeNote(): string;
  close(): Promise<void>;
}

/**
 * CPU per operation of a whole deployment at fixed offered rates (open loop), summed over every
 * process of it from /proc, with each process's share and the load generator's own CPU.
 *   node dist/bench/cpu-per-op.js --mode embedded|kafka|kamailio|kamailio-durable --op register|im \
 *     --rates 100,200,400 --seconds 20
 * Starts and stops the deployment itself (Kafka mode: a broker and a durable PostgreSQL too;
 * after the set-up, PostgreSQL is settled before the warm-up (lib/pg-settle.ts: the set-up's vacuum,
 * analyze and checkpoint done before measuring) and its tables analyzed again after it, with the
 * warm-up's rows (no plan made on empty tables is measured); --settle-postgres no leaves them to chance);
 * kamailio-durable: a durable PostgreSQL for its location table; --kamailio-workers N: its UDP
 * workers instead of the cfg's 2; --edge-link yes|no (Kafka mode, default yes): the edge link on, or
 * every record for the edge through Kafka (the A/B on one tree); --cpu-prof-dir DIR: every Herald process runs under node --cpu-prof,
 * its profile written to DIR at exit, for bench/cpu-profile-top.js; --pg-stats: what PostgreSQL did per
 * operation, from its statistics views, read before and after each step, STATS_FLUSH_WAIT_MS after
 * Herald was idle (per statement when it preloads pg_stat_statements: PG_SERVER_OPTIONS="-c
 * shared_preload_libraries=pg_stat_statements" for scripts/postgres.sh in Kafka mode)).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'embedded' },
      op: { type: 'string', default: 'register' },
      rates: { type: 'string', default: '100,200,400' },
      seconds: { type: 'string', default: '20' },
      refresh: { type: 'string', default: 'fresh' },
      devices: { type: 'string' },
      pairs: { type: 'string', default: '8' },
      'warmup-seconds': { type: 'string', default: '5' },
      'kamailio-workers': { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
      'pg-stats': { type: 'boolean', default: false },
      'settle-postgres': { type: 'string', default: 'yes' },
      'edge-link': { type: 'string', default: 'yes' },
      out: {
        type: 'string',
        default: `${process.env['BENCH_WORK'] ?? '/tmp/herald-bench'}/cpu-per-op.jsonl`,
      },
    },
  });
  const mode = oneOf(values.mode, ['embedded', 'kafka', 'kamailio', 'kamailio-durable'] as const, '--mode');
  const op = oneOf(values.op, ['register', 'im'] as const, '--op');
  const kamailio = mode === 'kamailio' || mode === 'kamailio-durable';
  const imCarrier = kamailio ? KAMAILIO_IM : HERALD_IM;
  const workersOption = values['kamailio-workers'];
  const kamailioWorkers = workersOption === undefined ? undefined : Number(workersOption);
  if (
    kamailioWorkers !== undefined &&
    !(kamailio && Number.isInteger(kamailioWorkers) && kamailioWorkers > 0)
  ) {
    throw new RangeError(
      '--kamailio-workers must be a positive integer, with --mode kamailio or kamailio-durable',
    );
  }
  /** What the steps say was measured: the mode, and Kamailio's worker count when not the cfg's. */
  const measured = kamailioWorkers === undefined ? mode : `${mode} -n ${kamailioWorkers}`;
  const refresh = oneOf(values.refresh, ['fresh', 'reuse-nonce'] as const, '--refresh');
  const edgeLink = oneOf(values['edge-link'], ['yes', 'no'] as const, '--edge-link') === 'yes';
  const rates = (values.rates ?? '').split(',').map(Number);
  const seconds = Number(values.seconds);
  const pairs = Number(values.pairs);
  if (rates.some((rate) => !(rate > 0)) || !(seconds > 0) || !(pairs > 0)) {
    throw new RangeError('--rates, --seconds and --pairs must be positive numbers');
  }
  const devices = Number(values.devices ?? Math.ceil(Math.max(...rates) * DEVICE_POOL_SECONDS));
  const accounts = op === 'register' ? devices : 2 * pairs;
  console.log(
    `cpu-per-op: code ${checkoutCommit()}, machine ${JSON.stringify(machineInfo())}; starting ${mode}${mode === 'kafka' ? ` (edge link ${edgeLink ? 'on' : 'off: Kafka only'})` : ''} for ${accounts} accounts`,
  );
  if (values['pg-stats'] && kamailio) throw new RangeError('--pg-stats measures a Herald deployment');
  const deployment: MeasuredDeployment = kamailio
    ? await KamailioDeployment.start(mode, kamailioWorkers)
    : await BenchDeployment.start(
        mode,
        accounts,
        values['cpu-prof-dir'] === undefined
          ? []
          : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`],
        edgeLink,
      );
  const databaseUrl =
    values['pg-stats'] && deployment instanceof BenchDeployment ? deployment.state.databaseUrl : undefined;
  const postgresSnapshot = async (since?: PgSnapshot): Promise<PgSnapshot | undefined> => {
    if (databaseUrl === undefined) return undefined;
    return pgSnapshotFlushed(databaseUrl, since);
  };
  let workload: Workload | undefined;
  let backlog: IdleWaiter | undefined;
  let postgresCpu: PgProcessCpu | undefined;
  try {
    const setupStarted = Date.now();
    const load: Workload =
      op === 'register'
        ? await RegisterRefreshes.setUp(deployment, devices, refresh)
        : await InstantMessages.setUp(deployment, imCarrier, pairs);
    workload = load;
    console.log(`cpu-per-op: ${op} load set up in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);
    backlog = await deployment.openIdleWaiter();
    const cpu = new ProcessTreeCpu(deployment.groups);
    const postgresRoot = deployment.groups.find((group) => group.name === 'postgres')?.rootPid;
    postgresCpu =
      databaseUrl === undefined || postgresRoot === undefined ? undefined : new PgProcessCpu(postgresRoot);
    console.log(
      `cpu-per-op: set-up drained: ${describeIdleWait(await backlog.waitUntilIdle(SETUP_DRAIN_MAX_MS))}`,
    );
    let settled = NOT_SETTLED;
    if (deployment instanceof BenchDeployment) {
      settled = await settlePostgresUnless(deployment.state.databaseUrl, values['settle-postgres']);
      console.log(`cpu-per-op: ${settled}`);
    }
    const warmup = Number(values['warmup-seconds']);
    if (warmup > 0) {
      // JIT and connection pools warm, not measured; after the settling's checkpoint, so that the
      // full-page image of each page first changed after it is written here, not in the window
      // (in steady state a page pays one per checkpoint_timeout, thousands of operations).
      await runOpenLoop(rates[0] as number, warmup, (sequence) => load.operation(sequence));
      load.takeNote();
      if (deployment instanceof BenchDeployment && values['settle-postgres'] !== 'no') {
        const analyzed = describeWarmedAnalyze(await analyzeWarmedTables(deployment.state.databaseUrl));
        console.log(`cpu-per-op: ${analyzed}`);
        settled = `${settled}; ${analyzed}`;
      }
    }
    const steps: CpuStep[] = [];
    for (const rate of rates) {
      const before = describeIdleWait(await backlog.waitUntilIdle(IDLE_MAX_MS));
      const postgresBefore = await postgresSnapshot();
      const postgresIdleStart = postgresCpu?.sample();
      const idleCpu = await idleCpuPerSecond(cpu, IDLE_SAMPLE_MS);
      const start = cpu.sample();
      const postgresStart = postgresCpu?.sample();
      const startedAt = performance.now();
      const windowStart = new Date().toISOString();
      const loop = await runOpenLoop(rate, seconds, (sequence) => load.operation(sequence));
      const after = describeIdleWait(await backlog.waitUntilIdle(IDLE_MAX_MS));
      const used = cpuBetween(start, cpu.sample());
      const postgresEnd = postgresCpu?.sample();
      const step = measuredStep({
        mode: measured,
        op: op === 'register' ? `REGISTER refresh (${refresh})` : `${imCarrier.name} over ${pairs} pairs`,
        loop,
        cpuMs: used,
        idleCpuMsPerSecond: idleCpu,
        windowSeconds: (performance.now() - startedAt) / 1000,
        note: `${load.takeNote()}before: ${before}; after: ${after}; window ${windowStart} to ${new Date().toISOString()}; ${settled}`,
      });
      const postgresAfter = await postgresSnapshot(postgresBefore);
      if (postgresBefore !== undefined && postgresAfter !== undefined) {
        step.postgres = pgActivity(postgresBefore, postgresAfter, step.succeeded);
      }
      if (postgresIdleStart !== undefined && postgresStart !== undefined && postgresEnd !== undefined) {
        step.postgresProcesses = pgProcessShares(
          postgresIdleStart,
          postgresStart,
          postgresEnd,
          IDLE_SAMPLE_MS / 1000,
          step.succeeded,
        );
      }
      writeRecord(values.out ?? '', step);
      printSteps([step]);
      if (step.postgres !== undefined) printPgActivity(step.postgres);
      if (step.postgresProcesses !== undefined) printPgProcessShares(step.postgresProcesses);
      steps.push(step);
    }
    console.log('\ncpu-per-op: all steps');
    printSteps(steps);
    console.log(`cpu-per-op: JSON lines appended to ${values.out}`);
  } finally {
    postgresCpu?.close();
    await workload?.close();
    await backlog?.close();
    await deployment.stop();
  }
}

/** REGISTER refreshes of already-registered devices, each its own user and UDP socket. */
class RegisterRefreshes implements Workload {
  /** Devices whose last refresh settled, oldest first. */
  private readonly idle: BenchDevice[];
  private challenged = 0;
  private refreshes = 0;

  private constructor(
    private readonly devices: BenchDevice[],
    private readonly mode: RegisterMode,
  ) {
    this.idle = [...devices];
  }

  static async setUp(server: SipServer, count: number, mode: RegisterMode): Promise<RegisterRefreshes> {
    const devices: BenchDevice[] = [];
    const indexes = Array.from({ length: count }, (_, i) => i + 1);
    try {
      await withConcurrency(indexes, SETUP_CONCURRENCY, async (index) => {
        devices.push(await registeredDevice(server, index, { responseTimeoutMs: OPERATION_TIMEOUT_MS }));
      });
    } catch (error) {
      await Promise.all(devices.map((device) => device.close()));
      throw error;
    }
    return new RegisterRefreshes(devices, mode);
  }

  async operation(): Promise<OperationLatencies> {
    const device = this.idle.shift();
    if (device === undefined) {
      throw new OperationFailure('BENCH_NO_IDLE_DEVICE', 'every device is still refreshing: more --devices');
    }
    const started = process.hrtime.bigint();
    try {
      const { challenged } = await device.register(REGISTER_EXPIRES_SECONDS, this.mode);
      this.refreshes++;
      if (challenged) this.challenged++;
      return { 'REGISTER→200': msSince(started) };
    } finally {
      this.idle.push(device);
    }
  }

  takeNote(): string {
    const note = `${this.challenged} of ${this.refreshes} refreshes answered a 401; `;
    this.challenged = 0;
    this.refreshes = 0;
    return note;
  }

  async close(): Promise<void> {
    await Promise.all(this.devices.map((device) => device.close()));
  }
}

/** How an IM travels from sender to recipient, and what its two measured intervals are called. */
interface ImCarrier {
  /** What the step's `op` says. */
  name: string;
  /** Opens and sets up the device of bench user `index` (a recipient's has `onPush`). */
  device(server: SipServer, index: number, options: Partial<DeviceOptions>): Promise<BenchDevice>;
  send(sender: BenchDevice, to: string, text: string): Promise<void>;
  /** Request sent → its 200, and request sent → the recipient got the IM. */
  intervals: readonly [answered: string, received: string];
}

/** Herald: logged-in devices, an `im.send` INFO, its `im` push (an INFO) to the recipient. */
const HERALD_IM: ImCarrier = {
  name: 'IM',
  device: (server, index, options) => loggedInDevice(server, index, undefined, options),
  send: (sender, to, text) => sender.command({ id: commandId('im'), type: 'im.send', to, text }),
  intervals: ['INFO→200', 'INFO→push'],
};

/**
 * Kamailio: registered devices, a MESSAGE it relays statefully to the recipient's contact (its 200
 * comes back once the recipient answered). The body is an `im` envelope, so the recipient tells it
 * apart like a Herald push; Kamailio does not read it.
 */
const KAMAILIO_IM: ImCarrier = {
  name: 'IM (MESSAGE relay)',
  device: (server, index, options) => registeredDevice(server, index, options),
  send: (sender, to, text) => sender.message(to, { type: 'im', text }),
  intervals: ['MESSAGE→200', 'MESSAGE→recipient'],
};

/** IMs from `pairs` senders, each to its own recipient, round robin; recipients answer pushes 200 at once. */
class InstantMessages implements Workload {
  /** Per IM text: called with the time its push reached the recipient. */
  private readonly awaitedPushes = new Map<string, (receivedAt: bigint) => void>();
  /** Texts of IMs whose push did not come within the timeout (until it comes). */
  private readonly overdue = new Set<string>();
  /** `im` pushes that came after their operation had failed (no push within the timeout). */
  private latePushes = 0;
  /** `im` pushes of an IM already pushed (Herald sent it again: the recipient's 200 came too late for it). */
  private repeatedPushes = 0;

  private constructor(
    private readonly carrier: ImCarrier,
    private readonly senders: BenchDevice[],
    private readonly recipients: BenchDevice[],
  ) {}

  static async setUp(server: SipServer, carrier: ImCarrier, pairs: number): Promise<InstantMessages> {
    const senders: BenchDevice[] = [];
    const recipients: BenchDevice[] = [];
    const workload = new InstantMessages(carrier, senders, recipients);
    try {
      for (let pair = 0; pair < pairs; pair++) {
        recipients.push(
          await carrier.device(server, pairs + 1 + pair, {
            onPush: (envelope, receivedAt) => {
              if (envelope.type === 'im') workload.pushed(String(envelope['text']), receivedAt);
            },
          }),
        );
        senders.push(await carrier.device(server, 1 + pair, { responseTimeoutMs: OPERATION_TIMEOUT_MS }));
      }
    } catch (error) {
      await workload.close();
      throw error;
    }
    return workload;
  }

  async operation(sequence: number): Promise<OperationLatencies> {
    const pair = sequence % this.senders.length;
    const sender = this.senders[pair] as BenchDevice;
    const text = `${IM_TEXT_PREFIX}${sequence}`;
    const started = process.hrtime.bigint();
    const pushed = new Promise<bigint>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.awaitedPushes.delete(text);
        this.overdue.add(text);
        reject(
          new OperationFailure(
            'BENCH_NO_PUSH',
            `IM ${sequence}: no im push within ${OPERATION_TIMEOUT_MS} ms`,
          ),
        );
      }, OPERATION_TIMEOUT_MS);
      this.awaitedPushes.set(text, (receivedAt) => {
        clearTimeout(timer);
        this.awaitedPushes.delete(text);
        resolve(receivedAt);
      });
    });
    const answered = this.carrier
      .send(sender, aorOf(1 + this.senders.length + pair), text)
      .then(() => msSince(started));
    const [answeredMs, pushedAt] = await Promise.all([answered, pushed]);
    const [answeredInterval, receivedInterval] = this.carrier.intervals;
    return { [answeredInterval]: answeredMs, [receivedInterval]: msSince(started, pushedAt) };
  }

  private pushed(text: string, receivedAt: bigint): void {
    const awaited = this.awaitedPushes.get(text);
    if (awaited !== undefined) awaited(receivedAt);
    else if (this.overdue.delete(text)) this.latePushes++;
    else if (text.startsWith(IM_TEXT_PREFIX)) this.repeatedPushes++;
  }

  takeNote(): string {
    const note =
      `${this.latePushes} im pushes came after the ${OPERATION_TIMEOUT_MS / 1000} s, ` +
      `${this.repeatedPushes} came again (retransmitted), ${this.overdue.size} never came; `;
    this.latePushes = 0;
    this.repeatedPushes = 0;
    this.overdue.clear();
    return note;
  }

  async close(): Promise<void> {
    await Promise.all([...this.senders, ...this.recipients].map((device) => device.close()));
  }
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T {
  if (allowed.includes(value as T)) return value as T;
  throw new RangeError(`${flag} must be one of ${allowed.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error('cpu-per-op: failed', error);
  process.exit(1);
});
