import { parseArgs } from 'node:util';
import { type BenchDevice, BenchDeviceError } from './lib/bench-device';
import { type HeraldState, registeredDevice, sleep, withConcurrency } from './lib/bench-state';
import {
  checkoutCommit,
  cpuPerOperation,
  fixed,
  idleCpuPerSecond,
  latencyQuantiles,
  sum,
  writeRecord,
} from './lib/cpu-report';
import { BenchDeployment } from './lib/deployment';
import type { HeraldMode } from './lib/herald-launch';
import { describeIdleWait, HeraldBacklogReader } from './lib/herald-idle';
import { DEVICES_PER_PROCESS, LoadProcess, loadProcessAddress } from './lib/load-process';
import { msSince } from './lib/open-loop';
import { pgActivity, pgSnapshotFlushed, type PgSnapshot, printPgActivity } from './lib/pg-activity';
import { settlePostgresUnless } from './lib/pg-settle';
import { PgProcessCpu, pgProcessShares, printPgProcessShares } from './lib/pg-processes';
import { cpuBetween, ProcessTreeCpu } from './lib/process-cpu';
import { loadAverage, machineInfo, quantile } from './lib/results';

/** Registrations in flight per load process while the devices are first set up (before the storm). */
const SETUP_CONCURRENCY_PER_PROCESS = 25;
/** The load processes start the storm together at this delay after the parent's command. */
const STORM_START_DELAY_MS = 1_000;
const IDLE_SAMPLE_MS = 5_000;
/**
 * Longest wait for Herald to drain after the set-up (im-router serves new bindings as plain devices
 * 100 a second: 20,000 take minutes) and after the storm.
 */
const IDLE_MAX_MS = 300_000;
const REGISTER_EXPIRES_SECONDS = 3600;
/** RFC 5626 §4.5 base-time (all flows failed) and max-time of the registration retry backoff. */
const RETRY_BASE_SECONDS = 30;
const RETRY_MAX_SECONDS = 1800;

type WorkerCommand =
  | { kind: 'setup'; state: HeraldState; first: number; count: number; deadline: number }
  | { kind: 'storm'; startAt: number; endAt: number }
  | { kind: 'close' };
interface SetupReport {
  registered: number;
  failed: number;
}
interface StormReport {
  succeeded: number;
  /** Devices not registered again by the storm's end, by the code of their last failed attempt. */
  failures: Record<string, number>;
  /** Failed attempts (each retried while time is left), by code. */
  failedAttempts: Record<string, number>;
  /** Per registered device: ms from the first REGISTER of its successful attempt to its 200. */
  latenciesMs: number[];
  /** Per registered device: ms from the storm's start to its 200. */
  doneAfterMs: number[];
  retransmissions: number;
}
type WorkerReport = SetupReport | StormReport;

/**
 * Re-registration storm: N registered devices (each its own user and UDP socket, spread over load
 * processes of at most 16,000 on 127.0.0.2, .3, ...) all REGISTER again at the same instant, as
 * after an edge restart, each like a fresh client (REGISTER, 401, authorized REGISTER, 200) that
 * retransmits over UDP (Timer E) until its timeout (default Timer F, 32 s) and tries again after a
 * failure (a 503's Retry-After, else RFC 5626 backoff) until --max-seconds. Reports the time until
 * all were registered, failures, p50/p99 and the deployment's CPU per registration; with --pg-stats,
 * what PostgreSQL did per registration and its CPU by process kind, as cpu-per-op's --pg-stats. The
 * set-up's background work in PostgreSQL is done before the storm (lib/pg-settle.ts), unless
 * --settle-postgres no.
 *   node dist/bench/storm.js --mode embedded|kafka --devices 20000 [--max-seconds 300] [--pg-stats]
 *     [--edge-link yes|no] (Kafka mode: the edge link on, the default, or every record through Kafka)
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'embedded' },
      devices: { type: 'string', default: '20000' },
      'timeout-seconds': { type: 'string', default: '32' },
      'setup-seconds': { type: 'string', default: '900' },
      'max-seconds': { type: 'string', default: '300' },
      retransmit: { type: 'string', default: 'yes' },
      'pg-stats': { type: 'boolean', default: false },
      'settle-postgres': { type: 'string', default: 'yes' },
      'edge-link': { type: 'string', default: 'yes' },
      out: { type: 'string', default: `${process.env['BENCH_WORK'] ?? '/tmp/herald-bench'}/storm.jsonl` },
      worker: { type: 'string' },
    },
  });
  const timeoutMs = Number(values['timeout-seconds']) * 1000;
  const retransmit = values.retransmit === 'yes';
  if (values.worker !== undefined) {
    runWorker(Number(values.worker), timeoutMs, retransmit);
    return;
  }
  const mode = values.mode as HeraldMode;
  if (mode !== 'embedded' && mode !== 'kafka') throw new RangeError('--mode must be embedded or kafka');
  const devices = Number(values.devices);
  if (!(devices > 0)) throw new RangeError('--devices must be a positive number');
  if (values['edge-link'] !== 'yes' && values['edge-link'] !== 'no') {
    throw new RangeError('--edge-link must be yes or no');
  }
  const edgeLink = values['edge-link'] === 'yes';
  const provisionStarted = Date.now();
  console.log(
    `storm: code ${checkoutCommit()}, machine ${JSON.stringify(machineInfo())}; starting Herald (${mode}${mode === 'kafka' ? `, edge link ${edgeLink ? 'on' : 'off: Kafka only'}` : ''}) and ${devices} accounts`,
  );
  const deployment = await BenchDeployment.start(mode, devices, [], edgeLink);
  console.log(`storm: Herald up with ${devices} accounts after ${seconds(Date.now() - provisionStarted)} s`);
  const workerCount = Math.ceil(devices / DEVICES_PER_PROCESS);
  const perWorker = Math.ceil(devices / workerCount);
  const workers = Array.from(
    { length: workerCount },
    (_, k) => new LoadProcess<WorkerCommand, WorkerReport>(k, process.argv),
  );
  let backlog: HeraldBacklogReader | undefined;
  let postgresCpu: PgProcessCpu | undefined;
  try {
    const setupStarted = Date.now();
    const deadline = setupStarted + Number(values['setup-seconds']) * 1000;
    const setups = (await Promise.all(
      workers.map((worker, k) =>
        worker.send({
          kind: 'setup',
          state: deployment.state,
          first: 1 + k * perWorker,
          count: Math.min(perWorker, devices - k * perWorker),
          deadline,
        }),
      ),
    )) as SetupReport[];
    const registered = sum(setups.map((report) => report.registered));
    const setupFailed = sum(setups.map((report) => report.failed));
    console.log(
      `storm: ${registered} devices registered by ${workerCount} load processes in ${seconds(Date.now() - setupStarted)} s (${setupFailed} set-ups failed)`,
    );
    backlog = await HeraldBacklogReader.open(deployment.state);
    const before = describeIdleWait(await backlog.waitUntilIdle(IDLE_MAX_MS));
    const settled = await settlePostgresUnless(deployment.state.databaseUrl, values['settle-postgres']);
    console.log(`storm: ${settled}`);
    const cpu = new ProcessTreeCpu(deployment.groups);
    const postgresRoot = deployment.groups.find((group) => group.name === 'postgres')?.rootPid;
    if (values['pg-stats'] && postgresRoot !== undefined) postgresCpu = new PgProcessCpu(postgresRoot);
    const postgresSnapshot = async (since?: PgSnapshot): Promise<PgSnapshot | undefined> => {
      if (postgresCpu === undefined) return undefined;
      return pgSnapshotFlushed(deployment.state.databaseUrl, since);
    };
    const postgresBefore = await postgresSnapshot();
    const postgresIdleStart = postgresCpu?.sample();
    const idleCpu = await idleCpuPerSecond(cpu, IDLE_SAMPLE_MS);
    const start = cpu.sample();
    const postgresStart = postgresCpu?.sample();
    const startAt = Date.now() + STORM_START_DELAY_MS;
    const endAt = startAt + Number(values['max-seconds']) * 1000;
    const storms = (await Promise.all(
      workers.map((worker) => worker.send({ kind: 'storm', startAt, endAt })),
    )) as StormReport[];
    const after = describeIdleWait(await backlog.waitUntilIdle(IDLE_MAX_MS));
    const used = cpuBetween(start, cpu.sample());
    const postgresEnd = postgresCpu?.sample();
    const windowSeconds = (Date.now() - startAt) / 1000;
    const succeeded = sum(storms.map((report) => report.succeeded));
    const failures = addCounts(storms.map((report) => report.failures));
    const failedAttempts = addCounts(storms.map((report) => report.failedAttempts));
    const doneAfterMs = storms.flatMap((report) => report.doneAfterMs);
    const latenciesMs = storms.flatMap((report) => report.latenciesMs);
    const lastDoneMs = doneAfterMs.reduce((latest, ms) => Math.max(latest, ms), 0);
    const record = {
      bench: 'storm',
      at: new Date().toISOString(),
      mode,
      devices: registered,
      succeeded,
      failures,
      failedAttempts,
      maxSeconds: Number(values['max-seconds']),
      allRegisteredAfterSeconds: succeeded === registered ? lastDoneMs / 1000 : null,
      lastRegisteredAfterSeconds: lastDoneMs / 1000,
      registeredAfterSeconds: {
        p50: quantile(doneAfterMs, 0.5) / 1000,
        p99: quantile(doneAfterMs, 0.99) / 1000,
      },
      latencyMs: latencyQuantiles({ 'REGISTER→200': latenciesMs }),
      retransmissions: sum(storms.map((report) => report.retransmissions)),
      timeoutSeconds: timeoutMs / 1000,
      retransmit,
      windowSeconds,
      // The load processes are forked by this process: their CPU is in the load generator's group.
      ...cpuPerOperation(used, idleCpu, windowSeconds, succeeded),
      note: `before: ${before}; after: ${after}; window ${new Date(startAt).toISOString()} to ${new Date().toISOString()}; ${settled}`,
      load: loadAverage(),
      machine: machineInfo(),
      commit: checkoutCommit(),
      ...(postgresIdleStart === undefined || postgresStart === undefined || postgresEnd === undefined
        ? {}
        : {
            postgresProcesses: pgProcessShares(
              postgresIdleStart,
              postgresStart,
              postgresEnd,
              IDLE_SAMPLE_MS / 1000,
              succeeded,
            ),
          }),
    };
    const postgresAfter = await postgresSnapshot(postgresBefore);
    const postgres =
      postgresBefore === undefined || postgresAfter === undefined
        ? undefined
        : pgActivity(postgresBefore, postgresAfter, succeeded);
    writeRecord(values.out ?? '', { ...record, postgres });
    const failed = Object.entries(failures).map(([code, count]) => `${code} ${count}`);
    console.log(
      `storm: ${mode}: ${succeeded} of ${registered} devices registered again, ` +
        (record.allRegisteredAfterSeconds === null
          ? `NOT all (failed: ${failed.join(', ')}), last after ${record.lastRegisteredAfterSeconds.toFixed(1)} s`
          : `all after ${record.allRegisteredAfterSeconds.toFixed(1)} s`) +
        `; registered after p50 ${record.registeredAfterSeconds.p50.toFixed(1)} s, p99 ${record.registeredAfterSeconds.p99.toFixed(1)} s; ` +
        `REGISTER→200 per device p50 ${fixed(record.latencyMs['REGISTER→200']?.p50)} ms, p99 ${fixed(record.latencyMs['REGISTER→200']?.p99)} ms; ` +
        `${record.retransmissions} retransmissions, failed attempts (retried): ${JSON.stringify(failedAttempts)}`,
    );
    console.log(
      `storm: CPU ms per registration ${fixed(record.cpuMsPerOp.total)} (net of idle ${fixed(record.netCpuMsPerOp.total)}): ` +
        Object.entries(record.cpuMsPerOp.byProcess)
          .map(([name, ms]) => `${name} ${fixed(ms)}`)
          .join(', ') +
        `; load generator ${fixed(record.loadGeneratorCpuMsPerOp)}; load average ${record.load}; ${record.note}`,
    );
    if (postgres !== undefined) printPgActivity(postgres);
    if (record.postgresProcesses !== undefined) printPgProcessShares(record.postgresProcesses);
    console.log(`storm: JSON line appended to ${values.out}`);
  } finally {
    postgresCpu?.close();
    await Promise.all(workers.map((worker) => worker.close({ kind: 'close' })));
    await backlog?.close();
    await deployment.stop();
  }
}

/**
 * When a client tries again after a failed registration: after a 503's Retry-After, else (no
 * answer) RFC 5626 §4.5's backoff, min(1800 s, 30 s × 2^(failures - 1)) × 50-100 % at random;
 * never after a refusal (403 and the like).
 */
function retryDelayMs(error: BenchDeviceError, failuresInRow: number): number | undefined {
  if (error.code === 'BENCH_UNAVAILABLE') return (error.retryAfterSeconds ?? RETRY_BASE_SECONDS) * 1000;
  if (error.code !== 'BENCH_TIMEOUT') return undefined;
  const ceiling = Math.min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (failuresInRow - 1));
  return ceiling * (0.5 + Math.random() / 2) * 1000;
}

/** Load process k: registers its devices, then storms on command; bound to its own 127.0.0.x. */
function runWorker(index: number, timeoutMs: number, retransmit: boolean): void {
  const devices: BenchDevice[] = [];
  const localAddress = loadProcessAddress(index);
  const handle = async (command: WorkerCommand): Promise<WorkerReport> => {
    if (command.kind === 'setup') {
      let failed = 0;
      const indexes = Array.from({ length: command.count }, (_, i) => command.first + i);
      await withConcurrency(indexes, SETUP_CONCURRENCY_PER_PROCESS, async (account) => {
        if (Date.now() > command.deadline) return;
        try {
          devices.push(
            await registeredDevice(command.state, account, {
              localAddress,
              responseTimeoutMs: timeoutMs,
              retransmit,
            }),
          );
        } catch (error) {
          if (failed++ === 0) console.error(`storm: load process ${index}: first failed set-up:`, error);
        }
      });
      // Not set up: failed, or not tried before the set-up deadline.
      return { registered: devices.length, failed: indexes.length - devices.length };
    }
    if (command.kind === 'storm') return storm(command.startAt, command.endAt);
    await withConcurrency(devices, SETUP_CONCURRENCY_PER_PROCESS, (device) => device.close());
    return { registered: 0, failed: 0 };
  };
  const storm = async (startAt: number, endAt: number): Promise<StormReport> => {
    const retransmittedBefore = sum(devices.map((device) => device.retransmissions));
    await sleep(Math.max(0, startAt - Date.now()));
    const startedAt = process.hrtime.bigint();
    const report: StormReport = {
      succeeded: 0,
      failures: {},
      failedAttempts: {},
      latenciesMs: [],
      doneAfterMs: [],
      retransmissions: 0,
    };
    const reregister = async (device: BenchDevice): Promise<void> => {
      for (let failuresInRow = 1; ; failuresInRow++) {
        const sentAt = process.hrtime.bigint();
        try {
          await device.register(REGISTER_EXPIRES_SECONDS, 'fresh');
          report.succeeded++;
          report.latenciesMs.push(msSince(sentAt));
          report.doneAfterMs.push(msSince(startedAt));
          return;
        } catch (error) {
          if (!(error instanceof BenchDeviceError)) throw error;
          if (report.failedAttempts[error.code] === undefined) {
            console.error(`storm: load process ${index}: first ${error.code}:`, error.message);
          }
          report.failedAttempts[error.code] = (report.failedAttempts[error.code] ?? 0) + 1;
          const wait = retryDelayMs(error, failuresInRow);
          if (wait === undefined || Date.now() + wait >= endAt) {
            report.failures[error.code] = (report.failures[error.code] ?? 0) + 1;
            return;
          }
          await sleep(wait);
        }
      }
    };
    await Promise.all(devices.map(reregister));
    report.retransmissions = sum(devices.map((device) => device.retransmissions)) - retransmittedBefore;
    return report;
  };
  process.on('message', (command: WorkerCommand) => {
    handle(command).then(
      (report) => {
        process.send?.(report);
        if (command.kind === 'close') process.exit(0);
      },
      (error: unknown) => {
        console.error(`storm: load process ${index} failed`, error);
        process.exit(1);
      },
    );
  });
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function addCounts(counts: readonly Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const count of counts) {
    for (const [code, n] of Object.entries(count)) total[code] = (total[code] ?? 0) + n;
  }
  return total;
}

main().catch((error: unknown) => {
  console.error('storm: failed', error);
  process.exit(1);
});
