import { parseArgs } from 'node:util';
import type { BenchDevice } from './lib/bench-device';
import { loggedInDevice, readState, setupRetries, sleep, withConcurrency } from './lib/bench-state';
import { recordResult, rssBytes } from './lib/results';

/** Devices per account (one AOR may have several devices). */
const DEVICES_PER_ACCOUNT = 10;
/** Users after the SIPp, latency and fan-out ranges. */
const CAPACITY_OFFSET = 2_000;
const CONCURRENCY = 20;
/** The file-descriptor limit of this machine is 20,000: one socket per device, one process. */
const MAX_DEVICES_PER_PROCESS = 19_000;
const SETTLE_MS = 5_000;

/**
 * Capacity: registered and logged-in UDP devices (one socket each, so one flow each) held by one
 * edge, and Herald's RSS growth per device at each target count. Stops at --max-seconds.
 *   node dist/bench/capacity.js --state FILE --mode M --users BENCH_USERS --targets 10000,100000
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      state: { type: 'string' },
      mode: { type: 'string', default: 'embedded' },
      users: { type: 'string', default: '5000' },
      targets: { type: 'string', default: '10000,100000' },
      'max-seconds': { type: 'string', default: '240' },
    },
  });
  const state = readState(values.state ?? '', values.mode ?? 'embedded');
  const firstAccount = Number(values.users) + CAPACITY_OFFSET;
  const targets = (values.targets ?? '').split(',').map(Number);
  const deadline = Date.now() + Number(values['max-seconds']) * 1000;
  // The edge holds the flows: in Kafka mode that is the sip-edge process, embedded the one process.
  const edgePid = state.pids['sip-edge'] ?? state.pids['herald'] ?? 0;
  const allRss = () => Object.values(state.pids).reduce((sum, pid) => sum + rssBytes(pid), 0);
  const baseEdge = rssBytes(edgePid);
  const baseAll = allRss();
  const side = `herald-${state.mode}`;
  const devices: BenchDevice[] = [];
  let failures = 0;
  const started = Date.now();
  try {
    for (const target of targets) {
      const goal = Math.min(target, MAX_DEVICES_PER_PROCESS);
      const indexes = Array.from({ length: goal - devices.length }, (_, i) => devices.length + i);
      await withConcurrency(indexes, CONCURRENCY, async (i) => {
        if (Date.now() > deadline) return;
        const account = firstAccount + Math.floor(i / DEVICES_PER_ACCOUNT);
        try {
          devices.push(await loggedInDevice(state, account));
        } catch (error) {
          failures++;
          if (failures === 1) console.error('capacity: first failed device:', error);
        }
      });
      await sleep(SETTLE_MS);
      const held = devices.length;
      const edgeGrowth = rssBytes(edgePid) - baseEdge;
      const allGrowth = allRss() - baseAll;
      const seconds = (Date.now() - started) / 1000;
      const detail =
        `${held} of ${target} devices registered and logged in after ${seconds.toFixed(0)} s, ${failures} failed, ${setupRetries.count} steps retried after 503` +
        (held < target ? ' (stopped: time budget or file-descriptor limit of one load process)' : '');
      recordResult('capacity', `devices held (target ${target})`, side, held, 'devices', detail);
      recordResult('capacity', `edge RSS growth per device at ${held}`, side, edgeGrowth / held, 'bytes');
      recordResult(
        'capacity',
        `all Herald processes RSS growth per device at ${held}`,
        side,
        allGrowth / held,
        'bytes',
      );
      if (held < target) break;
    }
  } finally {
    await withConcurrency(devices, CONCURRENCY, (device) => device.close());
  }
}

main().catch((error: unknown) => {
  console.error('capacity: failed', error);
  process.exit(1);
});
