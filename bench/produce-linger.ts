import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, type InstrumentationEvent } from 'kafkajs';
import { KafkaEventBus } from '#herald/bus';
import { sleep } from './lib/bench-state';
import { ProcessTreeCpu } from './lib/process-cpu';

/**
 * What the producer linger (HERALD_KAFKA_LINGER_MS) does to the edge's REGISTER publishes, the bus
 * alone: single-record publishes of ~600 bytes (a `sip.register-requested` record's size) over
 * --keys keys at --rate, open loop, for --seconds, through a KafkaEventBus whose topic lingers
 * --linger-ms (0: none). Prints Produce requests per record, this process's and the broker's CPU
 * per record and the publish latency (call to acks=-1). The request count does not depend on the
 * machine's load as much as the CPU does; alternate the lingers on one broker.
 *
 *   K=$(mktemp -d); export KAFKA_BROKERS=$(bash scripts/kafka.sh start $K)
 *   node dist/bench/produce-linger.js --broker-pid $(cat $K/pid) --rate 1500 --seconds 10 --linger-ms 5
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'broker-pid': { type: 'string' },
      rate: { type: 'string', default: '1500' },
      seconds: { type: 'string', default: '10' },
      'linger-ms': { type: 'string', default: '0' },
      keys: { type: 'string', default: '5000' },
    },
  });
  const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter((broker) => broker !== '');
  if (values['broker-pid'] === undefined || brokers.length === 0) {
    throw new Error(
      'usage: KAFKA_BROKERS=host:port produce-linger --broker-pid PID [--rate N --seconds N --linger-ms N]',
    );
  }
  const rate = Number(values.rate);
  const lingerMs = Number(values['linger-ms']);
  const keys = Number(values.keys);
  const topic = `produce-linger-${process.pid}`;
  let produces = 0;
  let counting = false;
  // Counts the bus's Produce requests (its producer comes from Kafka.prototype.producer).
  const { producer } = Kafka.prototype;
  Kafka.prototype.producer = function (this: Kafka, ...args) {
    const created = producer.apply(this, args);
    created.on(created.events.REQUEST, ({ payload }: InstrumentationEvent<{ apiName: string }>) => {
      if (counting && payload.apiName === 'Produce') produces += 1;
    });
    return created;
  };
  const bus = new KafkaEventBus({
    brokers,
    clientId: 'bench-produce-linger',
    logLevel: 'nothing',
    lingerTopics: [topic],
    lingerMs,
  });
  await bus.ensureTopics([topic]);
  const value = randomBytes(300).toString('hex');
  const publishOne = (index: number): Promise<void> =>
    bus.publish([{ topic, key: `sip:user${index % keys}@herald.local`, value: Buffer.from(value) }]);
  // Warm-up: connected, metadata loaded, compiled.
  for (let index = 0; index < 2_000; index += 1) await publishOne(index);
  const broker = new ProcessTreeCpu([{ name: 'broker', rootPid: Number(values['broker-pid']) }]);
  const total = Math.round(rate * Number(values.seconds));
  const latencies: number[] = [];
  const publishes: Promise<void>[] = [];
  counting = true;
  const brokerBefore = broker.sample()['broker'] ?? 0;
  const ownBefore = process.cpuUsage();
  const startedAt = performance.now();
  for (let index = 0; index < total; index += 1) {
    const due = startedAt + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sentAt = performance.now();
    publishes.push(publishOne(index).then(() => void latencies.push(performance.now() - sentAt)));
  }
  await Promise.all(publishes);
  const seconds = (performance.now() - startedAt) / 1000;
  const own = process.cpuUsage(ownBefore);
  const brokerMs = (broker.sample()['broker'] ?? 0) - brokerBefore;
  counting = false;
  latencies.sort((a, b) => a - b);
  const at = (q: number): string => (latencies[Math.floor(q * (latencies.length - 1))] ?? 0).toFixed(1);
  console.log(
    `linger ${lingerMs} ms, ${total} records at ${(total / seconds).toFixed(0)}/s: ` +
      `${(produces / total).toFixed(3)} produces per record (${(total / produces).toFixed(1)} records each); ` +
      `CPU per record: this process ${((own.user + own.system) / 1000 / total).toFixed(3)} ms, ` +
      `broker ${(brokerMs / total).toFixed(3)} ms; publish p50 / p99 ${at(0.5)} / ${at(0.99)} ms`,
  );
  await bus.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
