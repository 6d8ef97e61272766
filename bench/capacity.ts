import { parseArgs } from 'node:util';
import type { BenchDevice } from './lib/bench-device';
import {
  type HeraldState,
  loggedInDevice,
  readState,
  setupRetries,
  sleep,
  withConcurrency,
} from './lib/bench-state';
import { provisionAccounts } from './lib/herald-launch';
import { DEVICES_PER_PROCESS, LoadProcess, loadProcessAddress } from './lib/load-process';
import { recordResult } from './lib/results';
import { settledMemory, type SettledMemory } from './lib/settled-memory';

/**
 * Devices per account (one AOR may have several devices). The edge-alone registrar
 * (bench/capacity-edge.ts) keeps no bindings, so there each device has its own account.
 */
const DEVICES_PER_ACCOUNT = 10;
const DEVICES_PER_ACCOUNT_EDGE_ALONE = 1;
/** Users after the SIPp, latency and fan-out ranges. */
const CAPACITY_OFFSET = 2_000;
/** Setups in flight per load process. */
const CONCURRENCY_PER_PROCESS = 25;
/** Setups of one device before it counts as not held. */
const SETUP_ATTEMPTS = 3;
/**
 * A server transaction lives 64*T1 = 32 s after its final response (Timer J); a push's client
 * transaction 5 s (Timer K). The figures are taken after both, so they are the registrations held.
 */
const TRANSACTIONS_EXPIRED_MS = 40_000;

/** Parent -> load process: hold this many devices in total, or close them all. */
type WorkerCommand = { kind: 'grow'; total: number; deadline: number } | { kind: 'close' };
/** Load process -> parent, after each command. */
interface WorkerReport {
  held: number;
  failures: number;
  retried: number;
}

/**
 * Capacity: registered and logged-in UDP devices (one socket each, so one flow each) held by one
 * edge, and the edge's memory per device at each target count: RSS and V8 heap used after full
 * GCs, once Timer J ended every server transaction of the setup. Load processes of at most
 * 16,000 devices each, every one on its own 127.0.0.x. Stops at --max-seconds.
 *   node dist/bench/capacity.js --state FILE --mode embedded|kafka|edge --users N --targets 10000,100000
 * `--mode edge` is bench/capacity-edge.ts (the edge alone); --snapshots DIR writes heap snapshots.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      state: { type: 'string' },
      mode: { type: 'string', default: 'embedded' },
      users: { type: 'string', default: '5000' },
      targets: { type: 'string', default: '10000,100000' },
      'max-seconds': { type: 'string', default: '240' },
      snapshots: { type: 'string' },
      worker: { type: 'string' },
    },
  });
  const state = readState(values.state ?? '', values.mode ?? 'embedded');
  const firstAccount = Number(values.users) + CAPACITY_OFFSET;
  const perAccount = state.mode === 'edge' ? DEVICES_PER_ACCOUNT_EDGE_ALONE : DEVICES_PER_ACCOUNT;
  if (values.worker !== undefined) {
    runWorker(state, Number(values.worker), firstAccount, perAccount);
    return;
  }
  const targets = (values.targets ?? '').split(',').map(Number);
  if (state.databaseUrl !== '') {
    const accounts = firstAccount + Math.ceil(Math.max(...targets) / perAccount);
    await provisionAccounts(state.databaseUrl, accounts);
  }
  // The edge holds the flows: in Kafka mode that is the sip-edge process, embedded the one process.
  const edgePid = state.pids['sip-edge'] ?? state.pids['herald'] ?? 0;
  const side = `herald-${state.mode}`;
  const base = await settledMemory(edgePid);
  // The budget is for setting devices up (accounts are provisioned before it starts).
  const deadline = Date.now() + Number(values['max-seconds']) * 1000;
  console.log(`capacity: ${side} before: ${describe(base)}`);
  const workers: LoadProcess<WorkerCommand, WorkerReport>[] = [];
  const started = Date.now();
  try {
    for (const target of targets) {
      while (workers.length * DEVICES_PER_PROCESS < target)
        workers.push(new LoadProcess<WorkerCommand, WorkerReport>(workers.length, process.argv));
      const reports = await Promise.all(
        workers.map((worker, k) =>
          worker.send({
            kind: 'grow',
            total: Math.max(0, Math.min(DEVICES_PER_PROCESS, target - k * DEVICES_PER_PROCESS)),
            deadline,
          }),
        ),
      );
      const held = sum(reports.map((report) => report.held));
      const failures = sum(reports.map((report) => report.failures));
      const retried = sum(reports.map((report) => report.retried));
      const seconds = (Date.now() - started) / 1000;
      await sleep(TRANSACTIONS_EXPIRED_MS);
      const snapshot =
        values.snapshots === undefined ? undefined : `${values.snapshots}/edge-${held}.heapsnapshot`;
      const after = await settledMemory(edgePid, snapshot);
      console.log(`capacity: ${side} at ${held}: ${describe(after)}`);
      const detail =
        `${held} of ${target} devices registered and logged in after ${seconds.toFixed(0)} s by ${workers.length} load processes, ` +
        `${failures} setups failed (each device has ${SETUP_ATTEMPTS} attempts), ${retried} steps retried after 503` +
        (Date.now() > deadline ? ' (stopped: time budget)' : '');
      recordResult('capacity', `devices held (target ${target})`, side, held, 'devices', detail);
      const settled = `after full GCs, ${TRANSACTIONS_EXPIRED_MS / 1000} s after the last setup (Timer J over)`;
      recordResult(
        'capacity',
        `edge RSS growth per device at ${held}`,
        side,
        (after.rss - base.rss) / held,
        'bytes',
        settled,
      );
      recordResult(
        'capacity',
        `edge heap growth per device at ${held}`,
        side,
        (after.heapUsed - base.heapUsed) / held,
        'bytes',
        settled,
      );
      if (Date.now() > deadline) break;
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.close({ kind: 'close' })));
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function describe(memory: SettledMemory): string {
  return `RSS ${(memory.rss / 2 ** 20).toFixed(1)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(1)} MiB, external ${(memory.external / 2 ** 20).toFixed(1)} MiB`;
}

/** Load process k: devices k*16,000.. of the capacity accounts, bound to 127.0.0.(2+k). */
function runWorker(state: HeraldState, index: number, firstAccount: number, perAccount: number): void {
  const devices: BenchDevice[] = [];
  const localAddress = loadProcessAddress(index);
  let failures = 0;
  const report = (): void => {
    process.send?.({ held: devices.length, failures, retried: setupRetries.count } satisfies WorkerReport);
  };
  const grow = async (total: number, deadline: number): Promise<void> => {
    const first = index * DEVICES_PER_PROCESS + devices.length;
    const indexes = Array.from({ length: Math.max(0, total - devices.length) }, (_, i) => first + i);
    await withConcurrency(indexes, CONCURRENCY_PER_PROCESS, async (i) => {
      if (Date.now() > deadline) return;
      const account = firstAccount + Math.floor(i / perAccount);
      // The bench device does not retransmit: a datagram lost under load is a timeout, set up again.
      for (let attempt = 1; attempt <= SETUP_ATTEMPTS && Date.now() <= deadline; attempt++) {
        try {
          devices.push(await loggedInDevice(state, account, undefined, { localAddress }));
          return;
        } catch (error) {
          failures++;
          if (failures === 1) console.error(`capacity: load process ${index}: first failed setup:`, error);
        }
      }
    });
  };
  process.on('message', (command: WorkerCommand) => {
    if (command.kind === 'grow') {
      grow(command.total, command.deadline).then(report, (error: unknown) => {
        console.error(`capacity: load process ${index} failed`, error);
        process.exit(1);
      });
      return;
    }
    withConcurrency(devices, CONCURRENCY_PER_PROCESS, (device) => device.close()).then(
      () => {
        report();
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`capacity: load process ${index}: close failed`, error);
        process.exit(1);
      },
    );
  });
}

main().catch((error: unknown) => {
  console.error('capacity: failed', error);
  process.exit(1);
});
