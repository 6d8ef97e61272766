import { parseArgs } from 'node:util';
import type { BenchDevice } from './lib/bench-device';
import { commandId, loggedInDevice, readState, sleep } from './lib/bench-state';
import { BENCH_DOMAIN, benchUser } from './lib/herald-launch';
import { describeIdleWait, HeraldBacklogReader } from './lib/herald-idle';
import { quantile, recordResult } from './lib/results';

/** Each load level runs this long (bounded: the benchmark stops by itself). */
const LEVEL_SECONDS = Number(process.env['BENCH_LATENCY_SECONDS'] ?? 15);
/** Sends are spread over ticks of this length. */
const TICK_MS = 10;
/** An IM not pushed within this long after the level ended counts as lost. */
const DRAIN_MS = 10_000;
const LOAD_FRACTIONS = [0.1, 0.5, 0.9];
/** Users after the SIPp range (bench/sip-rate.sh uses BENCH_USERS+1 .. +60). */
const SENDER_OFFSET = 70;
/** Before each level Herald must have drained what earlier load left (the rate search's backlog). */
const IDLE_MAX_MS = Number(process.env['BENCH_IDLE_MAX_SECONDS'] ?? 60) * 1000;

/**
 * End-to-end IM latency: sender's INFO im.send sent -> recipient's `im` push received, both real
 * UDP devices, at 10/50/90 % of the highest IM rate the SIPp search found.
 *   node dist/bench/im-latency.js --state FILE --mode embedded|kafka --max-rate N --users BENCH_USERS
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      state: { type: 'string' },
      mode: { type: 'string', default: 'embedded' },
      'max-rate': { type: 'string' },
      users: { type: 'string', default: '5000' },
    },
  });
  const state = readState(values.state ?? '', values.mode ?? 'embedded');
  const maxRate = Number(values['max-rate']);
  const base = Number(values.users) + SENDER_OFFSET;
  const sentAt = new Map<string, bigint>();
  const latenciesMs: number[] = [];
  const recipient = await loggedInDevice(state, base + 1, (envelope, receivedAt) => {
    if (envelope.type !== 'im') return;
    const started = sentAt.get(String(envelope['text']));
    if (started === undefined) return;
    sentAt.delete(String(envelope['text']));
    latenciesMs.push(Number(receivedAt - started) / 1e6);
  });
  const sender = await loggedInDevice(state, base);
  const to = `sip:${benchUser(base + 1)}@${BENCH_DOMAIN}`;
  const backlog = await HeraldBacklogReader.open(state);
  try {
    for (const fraction of LOAD_FRACTIONS) {
      const rate = Math.max(1, Math.round(maxRate * fraction));
      const before = describeIdleWait(await backlog.waitUntilIdle(IDLE_MAX_MS));
      latenciesMs.length = 0;
      sentAt.clear();
      const { sent, refused } = await sendAtRate(sender, to, rate, sentAt);
      await waitUntilDrained(sentAt);
      const lost = sentAt.size;
      const detail = `${rate}/s for ${LEVEL_SECONDS}s, ${sent} sent, ${refused} refused, ${lost} not pushed within ${DRAIN_MS} ms; before the level Herald was ${before}`;
      const side = `herald-${state.mode}`;
      const level = `${Math.round(fraction * 100)} % load`;
      recordResult('im-latency', `${level} p50`, side, quantile(latenciesMs, 0.5), 'ms', detail);
      recordResult('im-latency', `${level} p99`, side, quantile(latenciesMs, 0.99), 'ms');
      recordResult('im-latency', `${level} p99.9`, side, quantile(latenciesMs, 0.999), 'ms');
    }
  } finally {
    await Promise.all([sender.close(), recipient.close(), backlog.close()]);
  }
}

async function sendAtRate(
  sender: BenchDevice,
  to: string,
  rate: number,
  sentAt: Map<string, bigint>,
): Promise<{ sent: number; refused: number }> {
  const total = rate * LEVEL_SECONDS;
  const started = Date.now();
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  let refused = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const text = `lat-${process.pid}-${rate}-${sent}`;
      sentAt.set(text, process.hrtime.bigint());
      inFlight.push(
        sender.command({ id: commandId('im'), type: 'im.send', to, text }).catch(() => {
          sentAt.delete(text);
          refused++;
        }),
      );
    }
    await sleep(TICK_MS);
  }
  await Promise.all(inFlight);
  return { sent, refused };
}

async function waitUntilDrained(sentAt: Map<string, bigint>): Promise<void> {
  const deadline = Date.now() + DRAIN_MS;
  while (sentAt.size > 0 && Date.now() < deadline) await sleep(100);
}

main().catch((error: unknown) => {
  console.error('im-latency: failed', error);
  process.exit(1);
});
