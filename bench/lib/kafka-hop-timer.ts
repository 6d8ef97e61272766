/**
 * A preload that times where a record's Kafka hops spend their time in every kafkajs client of a
 * process, the apps unmodified: load it in every process a bench starts through NODE_OPTIONS, and
 * `bench/kafka-hop-times.ts` prints p50 / p99 of each kind of sample within a cpu-per-op step.
 *
 *   KAFKA_HOP_TIMES_DIR=/tmp/hops NODE_OPTIONS="--require $PWD/dist/bench/lib/kafka-hop-timer.js" \
 *     node dist/bench/cpu-per-op.js --mode kafka --op im --rates 750 --seconds 15 --out /tmp/hops/steps.jsonl
 *
 * Samples, by `<client> <what>` (client `producer` or `consumer:<groupId>`), each in ms:
 * - `<topic> age at fetch`: a record handed to eachBatch, now − its CreateTime (kafkajs stamps it
 *   when it encodes the produce request): the produce request's way to the broker, the broker's
 *   append, the fetch that carried it and its decoding, and the wait of a record produced while
 *   the consumer was not fetching (its previous batch still held).
 * - `eachBatch held`: how long the bus held a batch of records before letting kafkajs fetch again
 *   (its fetch pacing and room waits).
 * - `sendBatch`: a producer's sendBatch, call to acknowledgement (acks=-1).
 * - `<api> queued` and `<api> round trip`: kafkajs' request queue wait (pendingDuration) and the
 *   request's round trip on the wire (duration; a Fetch's includes the broker's long-poll wait).
 * At exit each process writes `<app>-<pid>.json` (HopTimes) into KAFKA_HOP_TIMES_DIR.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  Kafka,
  type ConsumerRunConfig,
  type EachBatchPayload,
  type InstrumentationEvent,
  type ProducerBatch,
} from 'kafkajs';

/** What a process wrote: per kind, [epoch ms when taken, ms] pairs, flattened. */
export interface HopTimes {
  app: string;
  pid: number;
  samples: Record<string, number[]>;
}

interface RequestPayload {
  apiName: string;
  pendingDuration: number;
  duration: number;
}

const directory = process.env['KAFKA_HOP_TIMES_DIR'];
if (directory !== undefined && directory !== '') {
  const times: HopTimes = {
    app: basename(dirname(dirname(process.argv[1] ?? 'unknown/unknown'))),
    pid: process.pid,
    samples: {},
  };
  const sample = (key: string, at: number, ms: number): void => {
    (times.samples[key] ??= []).push(at, ms);
  };
  const onRequests = (label: string, { payload }: InstrumentationEvent<RequestPayload>): void => {
    const at = Date.now();
    sample(`${label} ${payload.apiName} queued`, at, payload.pendingDuration);
    sample(`${label} ${payload.apiName} round trip`, at, payload.duration);
  };
  const { producer, consumer } = Kafka.prototype;
  Kafka.prototype.producer = function (this: Kafka, ...args) {
    const created = producer.apply(this, args);
    created.on(created.events.REQUEST, (event) => onRequests('producer', event));
    const sendBatch = created.sendBatch.bind(created);
    created.sendBatch = async (batch: ProducerBatch) => {
      const started = Date.now();
      try {
        return await sendBatch(batch);
      } finally {
        sample('producer sendBatch', Date.now(), Date.now() - started);
      }
    };
    return created;
  };
  Kafka.prototype.consumer = function (this: Kafka, ...args) {
    const label = `consumer:${args[0].groupId}`;
    const created = consumer.apply(this, args);
    created.on(created.events.REQUEST, (event) => onRequests(label, event));
    const run = created.run.bind(created);
    created.run = (config?: ConsumerRunConfig) => {
      const eachBatch = config?.eachBatch;
      if (eachBatch === undefined) return run(config);
      return run({
        ...config,
        eachBatch: async (payload: EachBatchPayload) => {
          const handed = Date.now();
          for (const message of payload.batch.messages) {
            sample(
              `${label} ${payload.batch.topic} age at fetch`,
              handed,
              handed - Number(message.timestamp),
            );
          }
          try {
            await eachBatch(payload);
          } finally {
            sample(`${label} eachBatch held`, handed, Date.now() - handed);
          }
        },
      });
    };
    return created;
  };
  process.on('exit', () => {
    writeFileSync(join(directory, `${times.app}-${times.pid}.json`), JSON.stringify(times));
  });
}
