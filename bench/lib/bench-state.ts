import { readFileSync } from 'node:fs';
import { BenchDevice, BenchDeviceError, type DeviceOptions, type PushEnvelope } from './bench-device';

/** A setup step answered 503 (Herald overloaded) is retried like a client honouring Retry-After. */
const SETUP_ATTEMPTS = 5;
const SETUP_RETRY_MS = 1_000;
/** How many setup steps had to be retried after a 503, for the benchmarks' details. */
export const setupRetries = { count: 0 };
import { BENCH_DOMAIN, benchPassword, benchUser, type SipAddress } from './herald-launch';

export class BenchSetupError extends Error {
  readonly code = 'BENCH_SETUP_FAILED';
}

/** What bench/serve-herald.ts wrote: where Herald listens and which processes it runs. */
export interface HeraldState {
  udp: SipAddress;
  databaseUrl: string;
  pids: Record<string, number>;
  /** embedded or kafka, from the state file's name given by run-all.sh. */
  mode: string;
}

/** Where bench devices send SIP: Herald's state, or any registrar (Kamailio) listening on UDP. */
export type SipServer = Pick<HeraldState, 'udp'>;

export function readState(file: string, mode: string): HeraldState {
  return { ...(JSON.parse(readFileSync(file, 'utf8')) as Omit<HeraldState, 'mode'>), mode };
}

/** Runs `work` over items with at most `limit` in flight. */
export async function withConcurrency<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
}

let commandCounter = 0;
/** A command id unique in this process run. */
export function commandId(prefix: string): string {
  return `${prefix}-${process.pid}-${++commandCounter}`;
}

/** Opens, registers and logs in one device of bench user `index`. */
export async function loggedInDevice(
  server: SipServer,
  index: number,
  onPush?: (envelope: PushEnvelope, receivedAt: bigint) => void,
  extra: Partial<DeviceOptions> = {},
): Promise<BenchDevice> {
  const device = await registeredDevice(server, index, {
    ...(onPush === undefined ? {} : { onPush }),
    ...extra,
  });
  try {
    await retryUnavailable(() => device.command({ id: commandId('login'), type: 'login', status: 'online' }));
  } catch (error) {
    await device.close();
    throw error;
  }
  return device;
}

/** Opens and registers (no login) one device of bench user `index` (at Herald or Kamailio). */
export async function registeredDevice(
  server: SipServer,
  index: number,
  extra: Partial<DeviceOptions> = {},
): Promise<BenchDevice> {
  const user = benchUser(index);
  const device = await BenchDevice.open({
    user,
    password: benchPassword(user),
    domain: BENCH_DOMAIN,
    server: server.udp,
    ...extra,
  });
  try {
    await retryUnavailable(() => device.register());
  } catch (error) {
    await device.close();
    throw error;
  }
  return device;
}

async function retryUnavailable<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (
        !(error instanceof BenchDeviceError && error.code === 'BENCH_UNAVAILABLE') ||
        attempt >= SETUP_ATTEMPTS
      ) {
        throw error;
      }
      setupRetries.count++;
      await sleep(SETUP_RETRY_MS);
    }
  }
}

export function aorOf(index: number): string {
  return `sip:${benchUser(index)}@${BENCH_DOMAIN}`;
}

/**
 * Makes each (watcher, target) pair accepted buddies through the protocol: the watcher sends
 * roster.add, the target's device answers buddy.answer accept. Devices are logged in already.
 */
export async function befriend(
  devices: ReadonlyMap<number, BenchDevice>,
  pairs: readonly (readonly [number, number])[],
  concurrency: number,
): Promise<void> {
  const device = (index: number): BenchDevice => {
    const found = devices.get(index);
    if (found === undefined) throw new BenchSetupError(`no device for user ${index}`);
    return found;
  };
  await withConcurrency(pairs, concurrency, async ([watcher, target]) => {
    const id = commandId('add');
    await retryUnavailable(() => device(watcher).command({ id, type: 'roster.add', uri: aorOf(target) }));
  });
  await withConcurrency(pairs, concurrency, async ([watcher, target]) => {
    const id = commandId('answer');
    await retryUnavailable(() =>
      device(target).command({ id, type: 'buddy.answer', from: aorOf(watcher), accept: true }),
    );
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
