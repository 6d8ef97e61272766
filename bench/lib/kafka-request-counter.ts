/**
 * A preload that counts the Kafka requests of every kafkajs client in a process, by client and API
 * (Produce, Fetch, OffsetCommit, Heartbeat, ...), per second, with their response bytes: load it in
 * every process a bench starts through NODE_OPTIONS, and `bench/kafka-requests.ts` divides the
 * counts of each cpu-per-op step by its operations.
 *
 *   KAFKA_REQUEST_COUNT_DIR=/tmp/counts NODE_OPTIONS="--require $PWD/dist/bench/lib/kafka-request-counter.js" \
 *     node dist/bench/cpu-per-op.js --mode kafka ...
 *
 * At exit each process writes `<app>-<pid>.json` (CountedRequests) into KAFKA_REQUEST_COUNT_DIR;
 * <app> is the directory of its main script under dist/apps (`sip-edge`, `im-router`, ...). Without
 * KAFKA_REQUEST_COUNT_DIR it does nothing. It listens to kafkajs' own `request` instrumentation
 * events, so the clients run unmodified.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  Kafka,
  type InstrumentationEvent,
  type ProducerBatch,
  type RemoveInstrumentationEventListener,
} from 'kafkajs';

/** What a process wrote: per client and API, requests in each second since `startedAt`, and their response bytes. */
export interface CountedRequests {
  app: string;
  pid: number;
  /** Epoch ms of second 0. */
  startedAt: number;
  /** `<client> <apiName>` (client: `producer`, `admin` or `consumer:<groupId>`) → requests per second. */
  perSecond: Record<string, number[]>;
  /** The same keys → response bytes received in all (kafkajs' event `size`). */
  responseBytes: Record<string, number>;
  /**
   * Records this process produced, per topic (per-edge names as `edge.*.`) and second since
   * `startedAt`, and their value bytes in all: what a produce carries, beside how many produces.
   */
  producedRecords: Record<string, number[]>;
  producedValueBytes: Record<string, number>;
}

interface RequestPayload {
  apiName: string;
  /** The response's size. */
  size: number;
}

interface Instrumented {
  events: { REQUEST: string };
  on(
    event: string,
    listener: (event: InstrumentationEvent<RequestPayload>) => void,
  ): RemoveInstrumentationEventListener<string>;
}

const directory = process.env['KAFKA_REQUEST_COUNT_DIR'];
if (directory !== undefined && directory !== '') {
  const counted: CountedRequests = {
    app: basename(dirname(dirname(process.argv[1] ?? 'unknown/unknown'))),
    pid: process.pid,
    startedAt: Date.now(),
    perSecond: {},
    responseBytes: {},
    producedRecords: {},
    producedValueBytes: {},
  };
  const count = (client: string, { apiName, size }: RequestPayload): void => {
    const key = `${client} ${apiName}`;
    const second = Math.floor((Date.now() - counted.startedAt) / 1000);
    const seconds = (counted.perSecond[key] ??= []);
    while (seconds.length <= second) seconds.push(0);
    seconds[second] = (seconds[second] ?? 0) + 1;
    counted.responseBytes[key] = (counted.responseBytes[key] ?? 0) + size;
  };
  const countProduced = ({ topicMessages }: ProducerBatch): void => {
    const second = Math.floor((Date.now() - counted.startedAt) / 1000);
    for (const { topic, messages } of topicMessages ?? []) {
      const name = topic.replace(/^edge\.[^.]+\./, 'edge.*.');
      const seconds = (counted.producedRecords[name] ??= []);
      while (seconds.length <= second) seconds.push(0);
      seconds[second] = (seconds[second] ?? 0) + messages.length;
      let bytes = 0;
      for (const { value } of messages) bytes += value === null ? 0 : Buffer.byteLength(value);
      counted.producedValueBytes[name] = (counted.producedValueBytes[name] ?? 0) + bytes;
    }
  };
  const instrument = <T extends Instrumented>(client: T, label: string): T => {
    client.on(client.events.REQUEST, ({ payload }) => count(label, payload));
    return client;
  };
  const { producer, consumer, admin } = Kafka.prototype;
  Kafka.prototype.producer = function (this: Kafka, ...args) {
    const created = instrument(producer.apply(this, args), 'producer');
    const { sendBatch } = created;
    created.sendBatch = (batch) => {
      countProduced(batch);
      return sendBatch.call(created, batch);
    };
    return created;
  };
  Kafka.prototype.admin = function (this: Kafka, ...args) {
    return instrument(admin.apply(this, args), 'admin');
  };
  Kafka.prototype.consumer = function (this: Kafka, ...args) {
    return instrument(consumer.apply(this, args), `consumer:${args[0].groupId}`);
  };
  process.on('exit', () => {
    writeFileSync(join(directory, `${counted.app}-${counted.pid}.json`), JSON.stringify(counted));
  });
}
