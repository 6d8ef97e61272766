import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import {
  type ConsumedRecord,
  JournaledEventBus,
  KafkaEventBus,
  type EventBus,
  type JournaledEventBusOptions,
  type KafkaEventBusOptions,
  type SqlClient,
} from '#herald/bus';
import { GroupCommit } from '#herald/domain';
import { createDataSource, runMigrations } from '#herald/persistence';
import { countKafkaRequests } from './lib/count-kafka-requests';

/**
 * Latency of two bus hops with a handler between them, as IM takes them (edge → im-router,
 * whose group transaction takes a few ms, → edge): records published at --rate over 64 keys go
 * to a relay consumer whose handler waits --relay-ms (the transaction) and publishes each to a
 * sink topic; latency = sink consumer receipt − first publish. Only the bus runs, so a change of
 * the bus's structure (how it fetches and hands records over) shows through a busy machine better
 * than the whole deployment does; the handler's wait is a timer, not CPU. `--bus kafka` (default):
 * KAFKA_BROKERS names the broker. `--bus journaled`: the embedded default's journaled bus on the
 * PostgreSQL DATABASE_URL names (migrated here), which also counts its statements per record
 * (journal INSERTs, offset commits): load-independent, unlike the latency. It prints the bench
 * process's CPU per record too (the bus and its client, not the server's). --checkout DIR takes
 * another checkout's built bus (its dist/) for an A/B. With --group-commit the relay works as
 * im-router does: its handlers submit to one GroupCommit, whose groups wait --relay-ms each, one at
 * a time, and publish the group's records in one publish.
 *   node dist/bench/bus-hop-latency.js --rate 200 --seconds 8 --relay-ms 5 [--group-commit] [--checkout /other/tree]
 *   node dist/bench/bus-hop-latency.js --bus journaled --rate 200 [--checkout /other/tree]
 * On Kafka it also counts the bus's requests per record by API (Produce, Fetch, OffsetCommit, …);
 * --produce-interval-ms and --commit-interval-ms set the bus's produce and commit pacing.
 */
const KEYS = 64;
const DRAIN_MS = 20_000;

interface BusConstructors {
  KafkaEventBus: new (options: KafkaEventBusOptions) => EventBus;
  JournaledEventBus: new (options: JournaledEventBusOptions) => EventBus;
}

function busConstructors(checkout: string | undefined): BusConstructors {
  if (checkout === undefined) return { KafkaEventBus, JournaledEventBus };
  // The other checkout's compiled bus: the same API, another build.
  const loaded = createRequire(__filename)(join(checkout, 'dist/libs/bus/src/index.js')) as Partial<
    Record<keyof BusConstructors, unknown>
  >;
  if (typeof loaded.KafkaEventBus !== 'function' || typeof loaded.JournaledEventBus !== 'function') {
    throw new Error(`${checkout} has no built bus in dist/`);
  }
  return loaded as BusConstructors;
}

/** The statements the journaled bus sent, by their first words (INSERT INTO bus_journal, …). */
class CountingSql implements SqlClient {
  readonly counts = new Map<string, number>();

  constructor(private readonly pool: Pool) {}

  query(sql: string, params: ReadonlyArray<unknown>): ReturnType<SqlClient['query']> {
    const kind = sql.trim().split(/\s+/).slice(0, 3).join(' ');
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    return this.pool.query(sql, [...params]);
  }
}

async function startBus(
  kind: string,
  constructors: BusConstructors,
  produceIntervalMs: number,
  commitIntervalMs: number | undefined,
): Promise<{ bus: EventBus; sql?: CountingSql; release(): Promise<void> }> {
  if (kind === 'kafka') {
    const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter((broker) => broker !== '');
    if (brokers.length === 0) throw new Error('--bus kafka needs KAFKA_BROKERS');
    const bus = new constructors.KafkaEventBus({
      brokers,
      clientId: 'bench-bus-hop',
      logLevel: 'nothing',
      produceIntervalMs,
      ...(commitIntervalMs === undefined ? {} : { commitIntervalMs }),
    });
    return { bus, release: async () => undefined };
  }
  const url = process.env['DATABASE_URL'];
  if (kind !== 'journaled' || url === undefined) throw new Error('--bus journaled needs DATABASE_URL');
  const dataSource = createDataSource({ url, poolSize: 2, applicationName: 'bench-bus-hop' });
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
  // As the embedded default's journal pool (apps/herald/src/bus-journal-pool.ts).
  const pool = new Pool({ connectionString: url, max: 4, application_name: 'bench-bus-hop' });
  const sql = new CountingSql(pool);
  const bus = new constructors.JournaledEventBus({ sql });
  return { bus, sql, release: () => pool.end() };
}

/**
 * When each record reached each stage: published (the source publish called), acknowledged (its
 * produce acknowledged), relayHanded (the relay's handler called), relayStarted (its group began,
 * or the handler's own work), relayPublished (the relay's publish called), relayAcknowledged,
 * sinkHanded. The gaps between them say where a hop's time goes.
 */
const STAGES = [
  'published',
  'acknowledged',
  'relayHanded',
  'relayStarted',
  'relayPublished',
  'relayAcknowledged',
  'sinkHanded',
] as const;
type Stage = (typeof STAGES)[number];

/** p50 / p99 ms of each gap between stages, over the records that went through every stage. */
function stageBreakdown(stamps: ReadonlyArray<Float64Array>): Record<string, string> {
  const complete = stamps.filter((times) => times.every((time) => !Number.isNaN(time)));
  const gaps: Array<[string, number, number]> = [
    ['produce (published→acknowledged)', 0, 1],
    ['to relay handler (acknowledged→relayHanded)', 1, 2],
    ['group wait (relayHanded→relayStarted)', 2, 3],
    ['relay work (relayStarted→relayPublished)', 3, 4],
    ['relay produce (relayPublished→relayAcknowledged)', 4, 5],
    ['to sink handler (relayAcknowledged→sinkHanded)', 5, 6],
  ];
  return Object.fromEntries(
    gaps.map(([name, from, to]) => {
      const sorted = complete.map((times) => times[to]! - times[from]!).sort((a, b) => a - b);
      return [name, `${percentile(sorted, 0.5).toFixed(1)} / ${percentile(sorted, 0.99).toFixed(1)}`];
    }),
  );
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
      'group-commit': { type: 'boolean', default: false },
      bus: { type: 'string', default: 'kafka' },
      'produce-interval-ms': { type: 'string', default: '0' },
      'commit-interval-ms': { type: 'string' },
    },
  });
  const kafkaRequests = countKafkaRequests();
  const rate = Number(values.rate);
  const total = rate * Number(values.seconds);
  const relayMs = Number(values['relay-ms']);
  if (!(rate > 0) || !(total > 0) || !(relayMs >= 0)) {
    throw new Error('needs --rate > 0, --seconds > 0 and --relay-ms >= 0');
  }
  const commitInterval = values['commit-interval-ms'];
  const { bus, sql, release } = await startBus(
    values.bus,
    busConstructors(values.checkout),
    Number(values['produce-interval-ms']),
    commitInterval === undefined ? undefined : Number(commitInterval),
  );
  const run = randomBytes(4).toString('hex');
  const [source, sink] = [`bench-hop-source-${run}`, `bench-hop-sink-${run}`];
  await bus.ensureTopics([source, sink]);
  const latencies: number[] = [];
  const stamps = Array.from({ length: total }, () => new Float64Array(STAGES.length).fill(Number.NaN));
  const stamp = (record: ConsumedRecord, stage: Stage): void => {
    stamps[Number(record.value.toString())]![STAGES.indexOf(stage)] = performance.now();
  };
  // The relay as a service: a transaction (relayMs), then the publish of what it committed.
  const committed = async (records: ReadonlyArray<ConsumedRecord>): Promise<void> => {
    for (const record of records) stamp(record, 'relayStarted');
    await sleep(relayMs);
  };
  const published = async (records: ReadonlyArray<ConsumedRecord>): Promise<void> => {
    for (const record of records) stamp(record, 'relayPublished');
    await bus.publish(records.map((record) => ({ topic: sink, key: record.key, value: record.value })));
    for (const record of records) stamp(record, 'relayAcknowledged');
  };
  const group = new GroupCommit(async (records: ReadonlyArray<ConsumedRecord>) => {
    await committed(records);
    return { results: records.map(() => undefined), publish: () => published(records) };
  });
  const relay = await bus.subscribe({
    groupId: `bench-hop-relay-${run}`,
    topics: [source],
    handlerConcurrency: 256,
    handler: (record) => {
      stamp(record, 'relayHanded');
      return values['group-commit']
        ? group.submit(record)
        : committed([record]).then(() => published([record]));
    },
  });
  const receiver = await bus.subscribe({
    groupId: `bench-hop-sink-${run}`,
    topics: [sink],
    handler: async (record) => {
      stamp(record, 'sinkHanded');
      const index = Number(record.value.toString());
      latencies.push(stamps[index]![STAGES.indexOf('sinkHanded')]! - stamps[index]![0]!);
    },
  });
  kafkaRequests.clear();
  const cpuAtStart = process.cpuUsage();
  const start = performance.now();
  const publishes: Array<Promise<void>> = [];
  for (let index = 0; index < total; index += 1) {
    const wait = start + (index * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    stamps[index]![0] = performance.now();
    const published = bus.publish([
      { topic: source, key: `k${index % KEYS}`, value: Buffer.from(String(index)) },
    ]);
    publishes.push(published.then(() => void (stamps[index]![1] = performance.now())));
  }
  await Promise.all(publishes);
  const deadline = Date.now() + DRAIN_MS;
  while (latencies.length < total && Date.now() < deadline) await sleep(100);
  await relay.stop();
  await receiver.stop();
  await bus.close();
  // This process's CPU (the bus and its database or Kafka client; not PostgreSQL's or the broker's).
  const cpu = process.cpuUsage(cpuAtStart);
  await release();
  const sorted = [...latencies].sort((a, b) => a - b);
  const ms = (fraction: number): string => percentile(sorted, fraction).toFixed(1);
  console.log(
    JSON.stringify({
      bus: `${values.bus} of ${values.checkout ?? 'this checkout'}`,
      rate,
      relayMs,
      groupCommit: values['group-commit'],
      received: sorted.length,
      of: total,
      p50: ms(0.5),
      p90: ms(0.9),
      p99: ms(0.99),
      stagesP50P99: stageBreakdown(stamps),
      cpuMsPerRecord: Number(((cpu.user + cpu.system) / 1000 / total).toFixed(3)),
      ...(kafkaRequests.size > 0 && {
        kafkaRequestsPerRecord: Object.fromEntries(
          [...kafkaRequests].map(([api, count]) => [api, Number((count / total).toFixed(3))]),
        ),
      }),
      ...(sql && {
        statementsPerRecord: Object.fromEntries(
          [...sql.counts].map(([kind, count]) => [kind, Number((count / total).toFixed(3))]),
        ),
      }),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
