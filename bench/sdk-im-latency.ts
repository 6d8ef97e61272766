import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HeraldClient } from '#herald/client';
import { sipCarrier } from '#herald/client/node';
import { commandId, type HeraldState, loggedInDevice } from './lib/bench-state';
import { freeTcpPort } from './lib/deployment';
import {
  BENCH_DOMAIN,
  benchPassword,
  benchUser,
  type HeraldMode,
  LaunchedHerald,
  provisionAccounts,
} from './lib/herald-launch';
import { quantile, recordResult } from './lib/results';

/** The SDK transports measured, where Herald listens on them. */
const SDK_TRANSPORTS = ['udp', 'tcp', 'ws'] as const;
/** Bench users 1 and 2 are the sender and the recipient. */
const SENDER = 1;
const RECIPIENT = 2;
/** When one IM is done: sendIm() settles on the result push; the raw device's command on the 200. */
const SDK_COMPLETES = "the recipient's im push and the sender's im.send.result";
const RAW_COMPLETES = "the recipient's im push and the 200 to the sender's INFO";
/** An IM not pushed within this long fails the run (nothing may be lost). */
const IM_TIMEOUT_MS = 10_000;

/** One IM sent and pushed: resolves after `send()` has settled and the recipient has the text. */
type RoundTrip = (text: string) => Promise<void>;

/**
 * IM round trip through the SDK: HeraldClient.sendIm() called on the sender -> the recipient's
 * HeraldClient 'im' event, one IM at a time (closed loop: the next goes once the previous arrived
 * and its result came), over UDP, TCP and WS on sipCarrier, and the bench's own raw UDP device
 * (bench/lib/bench-device.ts) as the baseline. Starts and stops its own Herald.
 *   node dist/bench/sdk-im-latency.js [--mode embedded|kafka] [--count 300]
 * Kafka mode reads KAFKA_BROKERS and DATABASE_URL.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { mode: { type: 'string', default: 'embedded' }, count: { type: 'string', default: '300' } },
  });
  const mode = values.mode as HeraldMode;
  const count = Number(values.count);
  const dataDir = await mkdtemp(join(tmpdir(), 'herald-sdk-bench-'));
  const herald = await LaunchedHerald.start({
    mode,
    dataDir,
    postgresPort: await freeTcpPort(),
    ...(process.env['KAFKA_BROKERS'] === undefined ? {} : { kafkaBrokers: process.env['KAFKA_BROKERS'] }),
    ...(process.env['DATABASE_URL'] === undefined ? {} : { databaseUrl: process.env['DATABASE_URL'] }),
  });
  try {
    await provisionAccounts(herald.databaseUrl, RECIPIENT);
    const side = `herald-${mode}`;
    const state: HeraldState = {
      udp: herald.udp,
      databaseUrl: herald.databaseUrl,
      pids: herald.pids(),
      mode,
    };
    for (const transport of SDK_TRANSPORTS) {
      const listener = herald.sip[transport];
      if (listener === undefined) continue;
      await measure(`SDK over ${transport}`, side, count, SDK_COMPLETES, () =>
        sdkRoundTrip(`${transport}://127.0.0.1:${listener.port}`),
      );
    }
    // Last: the raw device does not unregister, and its bindings would get the SDK runs' pushes too.
    await measure('raw UDP device (baseline)', side, count, RAW_COMPLETES, () => rawUdpRoundTrip(state));
  } finally {
    await herald.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function measure(
  name: string,
  side: string,
  count: number,
  completes: string,
  open: () => Promise<{ roundTrip: RoundTrip; close: () => Promise<void> }>,
): Promise<void> {
  const { roundTrip, close } = await open();
  const latenciesMs: number[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const started = process.hrtime.bigint();
      await roundTrip(`${name} #${index}`);
      latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  } finally {
    await close();
  }
  const detail = `${count} IMs one at a time, send -> ${completes}`;
  recordResult('sdk-im-latency', `${name} p50`, side, quantile(latenciesMs, 0.5), 'ms', detail);
  recordResult('sdk-im-latency', `${name} p99`, side, quantile(latenciesMs, 0.99), 'ms');
}

/** Waits for texts pushed to the recipient. */
class Arrivals {
  private readonly waiting = new Map<string, () => void>();

  arrived(text: string): void {
    this.waiting.get(text)?.();
    this.waiting.delete(text);
  }

  next(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`"${text}" not pushed within ${IM_TIMEOUT_MS} ms`)),
        IM_TIMEOUT_MS,
      );
      this.waiting.set(text, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

async function sdkRoundTrip(server: string): Promise<{ roundTrip: RoundTrip; close: () => Promise<void> }> {
  const client = (index: number) =>
    new HeraldClient({
      carrier: sipCarrier({
        server,
        domain: BENCH_DOMAIN,
        user: benchUser(index),
        password: benchPassword(benchUser(index)),
      }),
    });
  const [sender, recipient] = [client(SENDER), client(RECIPIENT)];
  const arrivals = new Arrivals();
  recipient.on('im', (im) => arrivals.arrived(im.text));
  await sender.connect();
  await recipient.connect();
  const to = `sip:${benchUser(RECIPIENT)}@${BENCH_DOMAIN}`;
  return {
    roundTrip: async (text) => {
      await Promise.all([arrivals.next(text), sender.sendIm(to, text)]);
    },
    close: async () => {
      await sender.disconnect();
      await recipient.disconnect();
    },
  };
}

/** Resolves `arrived` at a device's login.result push. */
class LoginResult {
  private resolve: () => void = () => undefined;
  readonly arrived = new Promise<void>((resolve) => (this.resolve = resolve));

  seen(type: string): void {
    if (type === 'login.result') this.resolve();
  }
}

async function rawUdpRoundTrip(
  state: HeraldState,
): Promise<{ roundTrip: RoundTrip; close: () => Promise<void> }> {
  const arrivals = new Arrivals();
  // The login's 200 comes before the session exists: an IM sent or pushed before login.result
  // would be refused (sender) or stored (recipient) instead of pushed.
  const recipientSession = new LoginResult();
  const senderSession = new LoginResult();
  const recipient = await loggedInDevice(state, RECIPIENT, (envelope) => {
    recipientSession.seen(envelope.type);
    if (envelope.type === 'im') arrivals.arrived(String(envelope['text']));
  });
  const sender = await loggedInDevice(state, SENDER, (envelope) => senderSession.seen(envelope.type));
  await Promise.all([recipientSession.arrived, senderSession.arrived]);
  const to = `sip:${benchUser(RECIPIENT)}@${BENCH_DOMAIN}`;
  return {
    roundTrip: async (text) => {
      await Promise.all([
        arrivals.next(text),
        sender.command({ id: commandId('im'), type: 'im.send', to, text }),
      ]);
    },
    close: async () => {
      await Promise.all([sender.close(), recipient.close()]);
    },
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
