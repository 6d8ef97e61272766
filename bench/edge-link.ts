import { parseArgs } from 'node:util';
import {
  EdgeLinkClient,
  EdgeLinkDirectory,
  EdgeLinkServer,
  InProcessEventBus,
  KafkaEventBus,
  ServiceLinkBus,
  type ConsumedRecord,
  type EventBus,
} from '#herald/bus';
import { countKafkaRequests } from './lib/count-kafka-requests';
import { cpuBetween, ProcessTreeCpu } from './lib/process-cpu';

/**
 * One hop of records addressed to one edge (`edge.<edgeId>.outbound.v1`, as im-router's pushes),
 * from a service's publish to the edge's handler, over the edge link or over Kafka (produce, broker
 * write, fetch, offset commit). Both ends run in this process, so its CPU per record is both
 * clients'; with --broker-pid the broker's CPU per record is added for Kafka. Records are published
 * one per publish (--batch for more) at --rate over 64 keys after a warm-up; latency is publish to
 * the edge handler's call, and publish to the publish's resolution (the link: handled and acked;
 * Kafka: acked by the broker). Run it under `strace -f -c` for the syscalls per record.
 *   node dist/bench/edge-link.js --path link --rate 2000 --seconds 10
 *   KAFKA_BROKERS=127.0.0.1:9092 node dist/bench/edge-link.js --path kafka --rate 2000 --seconds 10 --broker-pid $(cat $K/pid)
 */
const KEYS = 64;
const EDGE = 'bench-edge';
const TOPIC = `edge.${EDGE}.outbound.v1`;
const WARM_UP_RECORDS = 500;
const DRAIN_MS = 30_000;
const POLL_MS = 20;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: ReadonlyArray<number>, fraction: number): string {
  return (sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN).toFixed(2);
}

interface Path {
  bus: EventBus;
  stop(): Promise<void>;
}

/** The service's bus and the edge's handler, over the link (a fallback bus that should stay empty). */
async function linkPath(onRecord: (record: ConsumedRecord) => void): Promise<Path> {
  const server = new EdgeLinkServer({
    host: '127.0.0.1',
    port: 0,
    onRecords: async (records) => {
      records.forEach(onRecord);
      return records.length;
    },
  });
  const endpoint = await server.start();
  const client = new EdgeLinkClient({
    origin: 'im-router',
    directory: new EdgeLinkDirectory({ addresses: new Map([[EDGE, endpoint]]) }),
  });
  const fallback = new InProcessEventBus();
  await fallback.subscribe({ groupId: 'edge', topics: [TOPIC], handler: async (record) => onRecord(record) });
  const bus = new ServiceLinkBus(fallback, client, true);
  return { bus, stop: async () => (await bus.close(), await server.stop()) };
}

async function kafkaPath(onRecord: (record: ConsumedRecord) => void): Promise<Path> {
  const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter((broker) => broker !== '');
  if (brokers.length === 0) throw new Error('--path kafka needs KAFKA_BROKERS');
  const bus = new KafkaEventBus({ brokers, clientId: 'bench-edge-link', logLevel: 'nothing' });
  const topic = TOPIC;
  await bus.ensureTopics([topic]);
  const edge = await bus.subscribe({
    groupId: `herald-edge-${EDGE}-${process.pid}`,
    topics: [topic],
    fromBeginning: false,
    handler: async (record) => onRecord(record),
  });
  return { bus, stop: async () => (await edge.stop(), await bus.close()) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      path: { type: 'string', default: 'link' },
      rate: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '10' },
      batch: { type: 'string', default: '1' },
      'broker-pid': { type: 'string' },
    },
  });
  const kafkaRequests = countKafkaRequests();
  const [rate, batch] = [Number(values.rate), Number(values.batch)];
  const publishes = Math.round((rate * Number(values.seconds)) / batch);
  const total = WARM_UP_RECORDS + publishes * batch;
  const publishedAt = new Float64Array(total).fill(Number.NaN);
  const handledAt = new Float64Array(total).fill(Number.NaN);
  let handled = 0;
  const onRecord = (record: ConsumedRecord): void => {
    const index = Number(record.value.toString());
    if (Number.isNaN(handledAt[index]!)) handled += 1;
    handledAt[index] = performance.now();
  };
  const path = values.path === 'kafka' ? await kafkaPath(onRecord) : await linkPath(onRecord);
  const publish = (first: number, count: number): Promise<void> => {
    const records = [];
    for (let index = first; index < first + count; index += 1) {
      publishedAt[index] = performance.now();
      records.push({ topic: TOPIC, key: `sip:user${index % KEYS}@bench`, value: Buffer.from(String(index)) });
    }
    return path.bus.publish(records);
  };
  await publish(0, WARM_UP_RECORDS);
  while (handled < WARM_UP_RECORDS) await sleep(POLL_MS);

  const broker =
    values['broker-pid'] && new ProcessTreeCpu([{ name: 'broker', rootPid: Number(values['broker-pid']) }]);
  const brokerAtStart = broker && broker.sample();
  kafkaRequests.clear();
  const cpuAtStart = process.cpuUsage();
  const start = performance.now();
  const resolvedAfter: number[] = [];
  const pending: Array<Promise<void>> = [];
  for (let sent = 0; sent < publishes; sent += 1) {
    const wait = start + (sent * batch * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const first = WARM_UP_RECORDS + sent * batch;
    pending.push(
      publish(first, batch).then(() => void resolvedAfter.push(performance.now() - publishedAt[first]!)),
    );
  }
  await Promise.all(pending);
  const deadline = Date.now() + DRAIN_MS;
  while (handled < total && Date.now() < deadline) await sleep(POLL_MS);
  const cpu = process.cpuUsage(cpuAtStart);
  const brokerMs =
    broker && brokerAtStart ? cpuBetween(brokerAtStart, broker.sample())['broker']! : undefined;
  await path.stop();
  const timed = publishes * batch;
  const toHandler: number[] = [];
  for (let index = WARM_UP_RECORDS; index < total; index += 1)
    toHandler.push(handledAt[index]! - publishedAt[index]!);
  toHandler.sort((a, b) => a - b);
  resolvedAfter.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      path: values.path,
      rate,
      batch,
      records: timed,
      handled: handled - WARM_UP_RECORDS,
      publishToHandlerMsP50P99: `${percentile(toHandler, 0.5)} / ${percentile(toHandler, 0.99)}`,
      publishResolvedMsP50P99: `${percentile(resolvedAfter, 0.5)} / ${percentile(resolvedAfter, 0.99)}`,
      cpuMsPerRecord: Number(((cpu.user + cpu.system) / 1000 / timed).toFixed(4)),
      ...(brokerMs !== undefined && { brokerCpuMsPerRecord: Number((brokerMs / timed).toFixed(4)) }),
      ...(kafkaRequests.size > 0 && {
        kafkaRequestsPerRecord: Object.fromEntries(
          [...kafkaRequests].map(([api, count]) => [api, Number((count / timed).toFixed(3))]),
        ),
      }),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
