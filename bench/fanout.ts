import { parseArgs } from 'node:util';
import type { BenchDevice } from './lib/bench-device';
import {
  aorOf,
  befriend,
  commandId,
  loggedInDevice,
  readState,
  setupRetries,
  sleep,
  withConcurrency,
} from './lib/bench-state';
import { quantile, recordResult } from './lib/results';

const WATCHERS = Number(process.env['BENCH_WATCHERS'] ?? 1000);
/** Users after the SIPp and latency ranges. */
const PUBLISHER_OFFSET = 100;
const SETUP_CONCURRENCY = 20;
/** One status change must reach every watcher within this long, or it counts as incomplete. */
const CHANGE_TIMEOUT_MS = 30_000;
/** The setup's pushes (rosters, current presence) must stop for this long before a change is measured. */
const QUIET_MS = 3_000;
/** Longest wait for that quiet (the setup's backlog on a slow machine). */
const QUIET_MAX_MS = 240_000;
const CHANGES = ['away', 'busy', 'online'] as const;

/**
 * Presence fan-out: one user with WATCHERS accepted watchers, each logged in on its own UDP
 * device; a presence.set is sent and the time until every watcher received (and answered 200 OK
 * to) the presence push is measured, three times.
 *   node dist/bench/fanout.js --state FILE --mode embedded|kafka --users BENCH_USERS
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      state: { type: 'string' },
      mode: { type: 'string', default: 'embedded' },
      users: { type: 'string', default: '5000' },
    },
  });
  const state = readState(values.state ?? '', values.mode ?? 'embedded');
  const publisherIndex = Number(values.users) + PUBLISHER_OFFSET;
  const publisherAor = aorOf(publisherIndex);
  // Per watcher: the status it last saw of the publisher, and when.
  const seen = new Map<number, { status: string; at: bigint }>();
  let lastPushAt = Date.now();
  const quiet = async () => {
    const deadline = Date.now() + QUIET_MAX_MS;
    while (Date.now() - lastPushAt < QUIET_MS && Date.now() < deadline) await sleep(200);
  };
  const devices = new Map<number, BenchDevice>();
  const setupStarted = Date.now();
  devices.set(publisherIndex, await loggedInDevice(state, publisherIndex));
  const watcherIndexes = Array.from({ length: WATCHERS }, (_, i) => publisherIndex + 1 + i);
  try {
    await withConcurrency(watcherIndexes, SETUP_CONCURRENCY, async (index) => {
      const device = await loggedInDevice(state, index, (envelope, receivedAt) => {
        lastPushAt = Date.now();
        if (envelope.type === 'presence' && envelope['uri'] === publisherAor) {
          seen.set(index, { status: String(envelope['status']), at: receivedAt });
        }
      });
      devices.set(index, device);
    });
    await befriend(
      devices,
      watcherIndexes.map((watcher) => [watcher, publisherIndex] as const),
      SETUP_CONCURRENCY,
    );
    await quiet();
    const setupSeconds = (Date.now() - setupStarted) / 1000;
    const side = `herald-${state.mode}`;
    const completions: number[] = [];
    for (const status of CHANGES) {
      const started = process.hrtime.bigint();
      await devices.get(publisherIndex)?.command({ id: commandId('presence'), type: 'presence.set', status });
      const deadline = Date.now() + CHANGE_TIMEOUT_MS;
      // Only pushes that arrived after the change was sent count.
      const reached = () =>
        watcherIndexes.filter((index) => {
          const last = seen.get(index);
          return last !== undefined && last.status === status && last.at >= started;
        });
      while (reached().length < WATCHERS && Date.now() < deadline) await sleep(20);
      const arrivals = reached().map((index) => Number((seen.get(index)?.at ?? started) - started) / 1e6);
      const last = arrivals.length === WATCHERS ? Math.max(...arrivals) : Number.NaN;
      completions.push(last);
      recordResult(
        'fanout',
        `one change to ${WATCHERS} watchers: all answered (${status})`,
        side,
        last,
        'ms',
        `${arrivals.length}/${WATCHERS} reached; median watcher ${quantile(arrivals, 0.5).toFixed(1)} ms; setup ${setupSeconds.toFixed(0)} s, ${setupRetries.count} setup steps retried after 503`,
      );
      await quiet();
    }
    recordResult('fanout', `median of ${CHANGES.length} changes`, side, quantile(completions, 0.5), 'ms');
  } finally {
    await Promise.all([...devices.values()].map((device) => device.close()));
  }
}

main().catch((error: unknown) => {
  console.error('fanout: failed', error);
  process.exit(1);
});
