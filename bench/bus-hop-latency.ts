import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KafkaEventBus, type EventBus, type KafkaEventBusOptions } from '#herald/bus';

/**
 * Latency of two Kafka bus hops with a handler between them, as IM takes them (edge → im-router,
 * whose group transaction takes a few ms, → edge): records published at --rate over 64 keys go
 * to a relay consumer whose handler waits --relay-ms (the transaction) and publishes each to a
 * sink topic; latency = sink consumer receipt − first publish. Only the bus runs, so a change of
 * the bus's structure (how it fetches and hands records over) shows through a busy machine better
 * than the whole deployment does; the handler's wait is a timer, not CPU. KAFKA_BROKERS names the
 * broker; --checkout DIR takes another checkout's built bus (its dist/) for an A/B.
 *   node dist/bench/bus-hop-latency.js --rate 200 --seconds 8 --relay-ms 5 [--checkout /other/tree]
 */
const KEYS = 64;
const DRAIN_MS = 20_000;

type BusConstructor = new (options: KafkaEventBusOptions) => EventBus;

function busConstructor(checkout: string | undefined): BusConstructor {
  if (checkout === undefined) return KafkaEventBus;
  // The other checkout's compiled bus: the same API, another build.
  const loaded: unknown = createRequire(__filename)(join(checkout, 'dist/libs/bus/src/index.js'));
  const candidate = (loaded as { KafkaEventBus?: unknown }).KafkaEventBus;
  if (typeof candidate !== 'function') throw new Error(`${checkout} has no built KafkaEventBus in dist/`);
  return candidate as BusConstructor;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: ReadonlyArray<number>, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '8' },
      'relay-ms': { type: 'string', default: '5' },
      checkout: { type: 'string' },
    },
  });
  const rate = Number(values.rate);
  const total = rate * Number(values.seconds);
  const relayMs = Number(values['relay-ms']);
  const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter((broker) => broker !== '');
  if (brokers.length === 0 || !(rate > 0) || !(total > 0) || !(relayMs >= 0)) {
    throw new Error('needs KAFKA_BROKERS, --rate > 0, --seconds > 0 and --relay-ms >= 0');
  }
  const Bus = busConstructor(values.checkout);
  const bus = new Bus({ brokers, clientId: 'bench-bus-hop', logLevel: 'nothing' });
  const run = randomBytes(4).toString('hex');
  const [source, sink] = [`bench-hop-source-${run}`, `bench-hop-sink-${run}`];
  await bus.ensureTopics([source, sink]);
  const latencies: number[] = [];
  const relay = await bus.subscribe({
    groupId: `bench-hop-relay-${run}`,
    topics: [source],
    handlerConcurrency: 256,
    handler: async (record) => {
      await sleep(relayMs);
      await bus.publish([{ topic: sink, key: record.key, value: record.value }]);
    },
  });
  const receiver = await bus.subscribe({
    groupId: `bench-hop-sink-${run}`,
    topics: [sink],
    handler: async (record) => {
      latencies.push(performance.now() - Number(record.value.toString()));
    },
  });
  const start = performance.now();
  const publishes: Array<Promise<void>> = [];
  for (let index = 0; index < total; index += 1) {
    const wait = start + (index * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const value = Buffer.from(String(performance.now()));
    publishes.push(bus.publish([{ topic: source, key: `k${index % KEYS}`, value }]));
  }
  await Promise.all(publishes);
  const deadline = Date.now() + DRAIN_MS;
  while (latencies.length < total && Date.now() < deadline) await sleep(100);
  await relay.stop();
  await receiver.stop();
  await bus.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  const ms = (fraction: number): string => percentile(sorted, fraction).toFixed(1);
  console.log(
    JSON.stringify({
      bus: values.checkout ?? 'this checkout',
      rate,
      relayMs,
      received: sorted.length,
      of: total,
      p50: ms(0.5),
      p90: ms(0.9),
      p99: ms(0.99),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
