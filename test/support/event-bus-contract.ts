import {
  BusUnavailableError,
  type ConsumedRecord,
  InvalidSubscriptionError,
  type EventBus,
  type HandlerRetryOptions,
  type Subscription,
  type SubscriptionHandle,
} from '#herald/bus';
import { uniqueGroupId, uniqueTopic } from './topics';
import { waitFor } from './wait-for';

/**
 * The behaviour every EventBus adapter must have, written once and run against each adapter:
 * the in-process bus in its unit spec, Kafka in test/bus against the real broker.
 */
export interface EventBusContractSubject {
  /** The bus one test works with (Kafka: a new client of the test broker). */
  createBus(options: { handlerRetry: HandlerRetryOptions }): EventBus;
  /** A bus whose publish cannot be acknowledged (Kafka: nothing listens at its broker). */
  createUnavailableBus(): Promise<EventBus>;
  /** How long to wait for records to arrive. */
  deliveryTimeoutMs: number;
}

const RETRY_OPTIONS = { initialDelayMs: 20, maxDelayMs: 200 };
/** The value of the records `markersHandled` publishes (JSON, like the values some handlers parse). */
const MARKER = '{"marker":true}';
const isMarker = (record: ConsumedRecord): boolean => record.value.toString('utf8') === MARKER;

interface Collector {
  /** What the consumer handled, but markers. */
  records: ConsumedRecord[];
  markers: ConsumedRecord[];
  add(record: ConsumedRecord): void;
  values(): string[];
}

function collector(): Collector {
  const records: ConsumedRecord[] = [];
  const markers: ConsumedRecord[] = [];
  return {
    records,
    markers,
    add: (record) => void (isMarker(record) ? markers : records).push(record),
    values: () => records.map((record) => record.value.toString('utf8')),
  };
}

/** Whether one of `collectors` handled a marker of `key`. */
const markerOf =
  (...collectors: Collector[]) =>
  (key: string): boolean =>
    collectors.some((collector) => collector.markers.some((marker) => marker.key === key));

export function describeEventBusContract(adapter: string, subject: EventBusContractSubject): void {
  describe(`EventBus contract: ${adapter}`, () => {
    // Joining groups and delivering takes a few seconds on a real broker: each test may wait
    // for delivery twice over, plus the settle time.
    const testTimeoutMs = 3 * subject.deliveryTimeoutMs;
    const handlerErrors: unknown[] = [];
    const runErrors: unknown[] = [];
    const opened: EventBus[] = [];
    const subscriptions: SubscriptionHandle[] = [];
    let bus: EventBus;

    const open = (): EventBus => {
      const created = subject.createBus({
        handlerRetry: {
          ...RETRY_OPTIONS,
          onHandlerError: (error) => handlerErrors.push(error),
          onRunError: (error) => runErrors.push(error),
        },
      });
      opened.push(created);
      return created;
    };
    const subscribe = async (
      groupId: string,
      topic: string,
      handler: (record: ConsumedRecord) => Promise<void>,
    ): Promise<SubscriptionHandle> => {
      const handle = await bus.subscribe({ groupId, topics: [topic], handler });
      subscriptions.push(handle);
      return handle;
    };
    /** Subscribes with a run handler (and `handler` for the record-by-record retry of a failed run). */
    const subscribeRuns = async (
      subscription: Pick<Subscription, 'groupId' | 'handleRun' | 'maxRunRecords'> & {
        topic: string;
        handler?: Subscription['handler'];
      },
    ): Promise<SubscriptionHandle> => {
      const { topic, handler, ...rest } = subscription;
      const handle = await bus.subscribe({
        ...rest,
        topics: [topic],
        handler: handler ?? (() => Promise.reject(new Error('only runs are expected'))),
      });
      subscriptions.push(handle);
      return handle;
    };
    const publishText = (topic: string, key: string, ...values: string[]): Promise<void> =>
      bus.publish(values.map((value) => ({ topic, key, value: Buffer.from(value) })));
    const waitForCount = (what: Collector, count: number): Promise<void> =>
      waitFor(() => what.records.length >= count, subject.deliveryTimeoutMs, `${count} records`);
    /**
     * Instead of waiting a while for a duplicate that must not come: publishes a marker under each
     * of `keys` and waits until `handled(key)` says each was handled. A marker comes after every
     * record of its key published before it (one partition, offset order), so a record of those
     * keys handed twice, or handed again from an older offset, shows before its marker does.
     */
    const markersHandled = async (
      topic: string,
      keys: readonly string[],
      handled: (key: string) => boolean,
    ): Promise<void> => {
      await bus.publish(keys.map((key) => ({ topic, key, value: Buffer.from(MARKER) })));
      await waitFor(() => keys.every(handled), subject.deliveryTimeoutMs, `markers of ${keys.length} keys`);
    };

    beforeEach(() => {
      handlerErrors.length = 0;
      runErrors.length = 0;
      bus = open();
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((handle) => handle.stop()));
      await Promise.all(opened.splice(0).map((created) => created.close()));
    }, testTimeoutMs);

    it(
      'delivers a published record with its key, value and headers',
      async () => {
        const topic = uniqueTopic('round-trip');
        await bus.ensureTopics([topic]);
        const received = collector();
        await subscribe(uniqueGroupId('round-trip'), topic, async (record) => {
          received.add(record);
        });

        await bus.publish([
          {
            topic,
            key: 'sip:alice@herald.local',
            value: Buffer.from('{"v":1}'),
            headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
          },
        ]);

        await waitForCount(received, 1);
        const [record] = received.records;
        expect(record).toMatchObject({
          topic,
          key: 'sip:alice@herald.local',
          headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
          offset: '0',
        });
        expect(record!.value.toString('utf8')).toBe('{"v":1}');
        expect(record!.partition).toBeGreaterThanOrEqual(0);
      },
      testTimeoutMs,
    );

    it(
      'fromBeginning false: starts at the end of the log, and a consumer of the group that comes back gets what was published while it was away',
      async () => {
        const topic = uniqueTopic('from-end');
        const groupId = uniqueGroupId('from-end');
        await bus.ensureTopics([topic]);
        // Keys enough to land in every partition: most of them the first consumer never handles
        // anything in, so the group has no committed offset there when the second one joins.
        const keys = Array.from({ length: 16 }, (_, index) => `sip:away-${index}@herald.local`);
        await publishText(topic, keys[0]!, 'before the group');
        const received = collector();
        const subscribeFromEnd = async (): Promise<SubscriptionHandle> => {
          const handle = await bus.subscribe({
            groupId,
            topics: [topic],
            fromBeginning: false,
            handler: async (record) => {
              received.add(record);
            },
          });
          subscriptions.push(handle);
          return handle;
        };
        const first = await subscribeFromEnd();
        await publishText(topic, keys[0]!, 'while subscribed');
        await waitForCount(received, 1);
        await first.stop();
        subscriptions.splice(subscriptions.indexOf(first), 1);

        await Promise.all(keys.map((key) => publishText(topic, key, `away ${key}`)));
        await subscribeFromEnd();

        await waitForCount(received, 1 + keys.length);
        expect(received.records.map((record) => record.value.toString('utf8')).sort()).toEqual(
          ['while subscribed', ...keys.map((key) => `away ${key}`)].sort(),
        );
      },
      testTimeoutMs,
    );

    it(
      'keeps the records of one key in order, on one partition',
      async () => {
        const topic = uniqueTopic('ordering');
        await bus.ensureTopics([topic]);
        const received = collector();
        await subscribe(uniqueGroupId('ordering'), topic, async (record) => {
          received.add(record);
        });
        const keys = ['sip:a@herald.local', 'sip:b@herald.local', 'sip:c@herald.local', 'sip:d@herald.local'];
        const perKey = 15;
        for (let sequence = 0; sequence < perKey; sequence += 1) {
          await bus.publish(
            keys.map((key) => ({ topic, key, value: Buffer.from(JSON.stringify({ key, sequence })) })),
          );
        }

        await waitForCount(received, keys.length * perKey);
        for (const key of keys) {
          const ofKey = received.records.filter((record) => record.key === key);
          const sequences = ofKey.map(
            (record) => (JSON.parse(record.value.toString('utf8')) as { sequence: number }).sequence,
          );
          expect(sequences).toEqual([...Array(perKey).keys()]);
          expect(new Set(ofKey.map((record) => record.partition)).size).toBe(1);
        }
      },
      testTimeoutMs,
    );

    it(
      'shares partitions between two consumers of one group and handles each record once',
      async () => {
        const topic = uniqueTopic('group');
        await bus.ensureTopics([topic]);
        const groupId = uniqueGroupId('group');
        const first = collector();
        const second = collector();
        await subscribe(groupId, topic, async (record) => {
          first.add(record);
        });
        await subscribe(groupId, topic, async (record) => {
          second.add(record);
        });
        const count = 40;
        await bus.publish(
          [...Array(count).keys()].map((index) => ({
            topic,
            key: `sip:user${index}@herald.local`,
            value: Buffer.from(String(index)),
          })),
        );

        await waitFor(
          () => first.records.length + second.records.length >= count,
          subject.deliveryTimeoutMs,
          `${count} records across the group`,
        );
        await markersHandled(
          topic,
          [...Array(count).keys()].map((index) => `sip:user${index}@herald.local`),
          markerOf(first, second),
        );
        const handled = [...first.values(), ...second.values()].map(Number).sort((a, b) => a - b);
        expect(handled).toEqual([...Array(count).keys()]);
        expect(first.records.length).toBeGreaterThan(0);
        expect(second.records.length).toBeGreaterThan(0);
        const firstPartitions = new Set(first.records.map((record) => record.partition));
        for (const record of second.records) {
          expect(firstPartitions.has(record.partition)).toBe(false);
        }
      },
      testTimeoutMs,
    );

    it(
      'retries a failing handler without skipping or reordering the record',
      async () => {
        const topic = uniqueTopic('retry');
        await bus.ensureTopics([topic]);
        const attempts: string[] = [];
        let failuresLeft = 2;
        await subscribe(uniqueGroupId('retry'), topic, async (record) => {
          const value = record.value.toString('utf8');
          attempts.push(value);
          if (value === 'flaky' && failuresLeft > 0) {
            failuresLeft -= 1;
            throw new Error('transient failure');
          }
        });

        await publishText(topic, 'sip:alice@herald.local', 'flaky', 'next');

        await waitFor(
          () => attempts.includes('next'),
          subject.deliveryTimeoutMs,
          'the record after the flaky one',
        );
        expect(attempts).toEqual(['flaky', 'flaky', 'flaky', 'next']);
        expect(handlerErrors).toHaveLength(2);
      },
      testTimeoutMs,
    );

    it(
      'redelivers an unhandled record to the next consumer of the group, not a handled one',
      async () => {
        const topic = uniqueTopic('redelivery');
        await bus.ensureTopics([topic]);
        const groupId = uniqueGroupId('redelivery');
        const firstConsumer = collector();
        const firstHandle = await subscribe(groupId, topic, async (record) => {
          firstConsumer.add(record);
          if (record.value.toString('utf8') === 'unhandled') {
            throw new Error('this consumer cannot handle it');
          }
        });
        await publishText(topic, 'sip:alice@herald.local', 'handled');
        await waitForCount(firstConsumer, 1);
        await publishText(topic, 'sip:alice@herald.local', 'unhandled');
        await waitFor(() => handlerErrors.length >= 2, subject.deliveryTimeoutMs, 'two failed attempts');

        await firstHandle.stop();
        const secondConsumer = collector();
        await subscribe(groupId, topic, async (record) => {
          secondConsumer.add(record);
        });

        await waitForCount(secondConsumer, 1);
        await markersHandled(topic, ['sip:alice@herald.local'], markerOf(secondConsumer));
        expect(secondConsumer.values()).toEqual(['unhandled']);
      },
      testTimeoutMs,
    );

    it(
      'keeps each key in order when handlers take uneven times',
      async () => {
        const topic = uniqueTopic('keyed-concurrency');
        await bus.ensureTopics([topic]);
        const received = collector();
        const keys = [...Array(8).keys()].map((index) => `sip:user${index}@herald.local`);
        const perKey = 6;
        await subscribe(uniqueGroupId('keyed-concurrency'), topic, async (record) => {
          // Uneven handling times, so records of other keys overtake this one where they can. The
          // markers (no sequence) are not delayed: a NaN delay made Node print a TimeoutNaNWarning.
          if (!isMarker(record)) {
            const { sequence } = JSON.parse(record.value.toString('utf8')) as { sequence: number };
            await new Promise((resolve) => setTimeout(resolve, (sequence * 7 + record.key.length) % 5));
          }
          received.add(record);
        });
        await bus.publish(
          [...Array(perKey).keys()].flatMap((sequence) =>
            keys.map((key) => ({ topic, key, value: Buffer.from(JSON.stringify({ sequence })) })),
          ),
        );

        await waitForCount(received, keys.length * perKey);
        await markersHandled(topic, keys, markerOf(received));
        expect(received.records).toHaveLength(keys.length * perKey);
        for (const key of keys) {
          const sequences = received.records
            .filter((record) => record.key === key)
            .map((record) => (JSON.parse(record.value.toString('utf8')) as { sequence: number }).sequence);
          expect(sequences).toEqual([...Array(perKey).keys()]);
        }
      },
      testTimeoutMs,
    );

    it(
      'handles later records of other keys while one is retried, and never commits past the retried one',
      async () => {
        const topic = uniqueTopic('commit-prefix');
        await bus.ensureTopics([topic]);
        const groupId = uniqueGroupId('commit-prefix');
        const stuckKey = 'sip:stuck@herald.local';
        const otherKeys = [...Array(16).keys()].map((index) => `sip:other${index}@herald.local`);
        const firstConsumer = collector();
        // Published before the group joins, so its first fetch holds every partition's records:
        // the records of the stuck record's fetch must not wait for it while it is retried.
        await bus.publish([
          { topic, key: stuckKey, value: Buffer.from('stuck') },
          ...otherKeys.map((key) => ({ topic, key, value: Buffer.from(key) })),
        ]);
        const firstHandle = await subscribe(groupId, topic, async (record) => {
          if (record.key === stuckKey) {
            throw new Error('this consumer cannot handle it');
          }
          firstConsumer.add(record);
        });
        await waitForCount(firstConsumer, otherKeys.length);
        await waitFor(() => handlerErrors.length >= 2, subject.deliveryTimeoutMs, 'two failed attempts');

        await firstHandle.stop();
        const secondConsumer = collector();
        await subscribe(groupId, topic, async (record) => {
          secondConsumer.add(record);
        });

        await waitFor(
          () => secondConsumer.values().includes('stuck'),
          subject.deliveryTimeoutMs,
          'the retried record at the next consumer',
        );
        await markersHandled(topic, [stuckKey, ...otherKeys], markerOf(secondConsumer));
        const stuck = secondConsumer.records.find((record) => record.key === stuckKey)!;
        // Handled by the first consumer after the stuck record on its partition: not committed, so again.
        const afterStuck = firstConsumer.records
          .filter(
            (record) => record.partition === stuck.partition && BigInt(record.offset) > BigInt(stuck.offset),
          )
          .map((record) => record.key)
          .sort();
        expect(afterStuck.length).toBeGreaterThan(0);
        const redelivered = secondConsumer.records
          .filter((record) => record.partition === stuck.partition && record.key !== stuckKey)
          .map((record) => record.key)
          .sort();
        expect(redelivered).toEqual(afterStuck);
      },
      testTimeoutMs,
    );

    it(
      'hands runs of one key, topic and partition each, in offset order, every record once',
      async () => {
        const topic = uniqueTopic('runs-one-key');
        await bus.ensureTopics([topic]);
        const keys = [...Array(6).keys()].map((index) => `sip:user${index}@herald.local`);
        const perKey = 5;
        // A backlog, interleaved by key, so a key's records have others' between them.
        await bus.publish(
          [...Array(perKey).keys()].flatMap((sequence) =>
            keys.map((key) => ({ topic, key, value: Buffer.from(`${key}#${sequence}`) })),
          ),
        );
        const runs: ConsumedRecord[][] = [];
        await subscribeRuns({
          groupId: uniqueGroupId('runs-one-key'),
          topic,
          handleRun: async (run) => {
            runs.push([...run]);
          },
        });

        await waitFor(
          () => runs.flat().length >= keys.length * perKey,
          subject.deliveryTimeoutMs,
          `${keys.length * perKey} records in runs`,
        );
        await markersHandled(topic, keys, (key) => runs.flat().some((r) => r.key === key && isMarker(r)));
        for (const run of runs) {
          expect(new Set(run.map((record) => `${record.topic}/${record.partition}/${record.key}`)).size).toBe(
            1,
          );
          const offsets = run.map((record) => BigInt(record.offset));
          offsets.slice(1).forEach((offset, index) => expect(offset).toBeGreaterThan(offsets[index]!));
        }
        for (const key of keys) {
          const ofKey = runs.flat().filter((record) => record.key === key && !isMarker(record));
          expect(ofKey.map((record) => record.value.toString('utf8'))).toEqual(
            [...Array(perKey).keys()].map((sequence) => `${key}#${sequence}`),
          );
        }
      },
      testTimeoutMs,
    );

    it(
      'hands a record published while its key has nothing waiting at once, as a run of one',
      async () => {
        const topic = uniqueTopic('runs-single');
        await bus.ensureTopics([topic]);
        const runs: string[][] = [];
        await subscribeRuns({
          groupId: uniqueGroupId('runs-single'),
          topic,
          handleRun: async (run) => {
            runs.push(run.map((record) => record.value.toString('utf8')));
          },
        });

        await publishText(topic, 'sip:alice@herald.local', 'one');
        await waitFor(() => runs.length >= 1, subject.deliveryTimeoutMs, 'the first run');
        await publishText(topic, 'sip:alice@herald.local', 'two');
        await waitFor(() => runs.length >= 2, subject.deliveryTimeoutMs, 'the second run');

        expect(runs).toEqual([['one'], ['two']]);
      },
      testTimeoutMs,
    );

    it(
      'hands a backlog of one key in runs of more than one record, each record once and in order',
      async () => {
        const topic = uniqueTopic('runs-backlog');
        await bus.ensureTopics([topic]);
        const count = 20;
        const values = [...Array(count).keys()].map(String);
        await publishText(topic, 'sip:alice@herald.local', ...values);
        const runs: string[][] = [];
        await subscribeRuns({
          groupId: uniqueGroupId('runs-backlog'),
          topic,
          handleRun: async (run) => {
            runs.push(run.map((record) => record.value.toString('utf8')));
          },
        });

        await waitFor(
          () => runs.flat().length >= count,
          subject.deliveryTimeoutMs,
          `${count} records in runs`,
        );
        await markersHandled(topic, ['sip:alice@herald.local'], () => runs.flat().includes(MARKER));
        const backlogRuns = runs
          .map((run) => run.filter((value) => value !== MARKER))
          .filter((run) => run.length > 0);
        expect(backlogRuns.flat()).toEqual(values);
        expect(backlogRuns.length).toBeLessThan(count);
      },
      testTimeoutMs,
    );

    it(
      "hands a subscription's handlers as many keys at once as its handlerConcurrency, above the bus default",
      async () => {
        const topic = uniqueTopic('handler-concurrency');
        await bus.ensureTopics([topic]);
        // Above every adapter's default of 16; distinct keys, published before the group joins.
        const handlerConcurrency = 24;
        const keys = [...Array(2 * handlerConcurrency).keys()].map(
          (index) => `sip:user${index}@herald.local`,
        );
        await bus.publish(keys.map((key) => ({ topic, key, value: Buffer.from(key) })));
        let inFlight = 0;
        let mostInFlight = 0;
        let handled = 0;
        const release: Array<() => void> = [];
        const handle = await bus.subscribe({
          groupId: uniqueGroupId('handler-concurrency'),
          topics: [topic],
          handlerConcurrency,
          handler: async () => {
            inFlight += 1;
            mostInFlight = Math.max(mostInFlight, inFlight);
            await new Promise<void>((resolve) => release.push(resolve));
            inFlight -= 1;
            handled += 1;
          },
        });
        subscriptions.push(handle);

        await waitFor(
          () => inFlight === handlerConcurrency,
          subject.deliveryTimeoutMs,
          `${handlerConcurrency} in flight`,
        );
        // Released one at a time: each release lets exactly one more key in, never more.
        while (handled < keys.length) {
          await waitFor(() => release.length > 0, subject.deliveryTimeoutMs, 'a handler to release');
          release.shift()!();
          await new Promise((resolve) => setImmediate(resolve));
        }
        expect(mostInFlight).toBe(handlerConcurrency);
      },
      testTimeoutMs,
    );

    it(
      'refuses a subscription whose handlerConcurrency is not a positive integer',
      async () => {
        const topic = uniqueTopic('handler-concurrency-invalid');
        await bus.ensureTopics([topic]);
        await expect(
          bus.subscribe({
            groupId: uniqueGroupId('handler-concurrency-invalid'),
            topics: [topic],
            handlerConcurrency: 0,
            handler: async () => undefined,
          }),
        ).rejects.toThrow(InvalidSubscriptionError);
      },
      testTimeoutMs,
    );

    it(
      'hands no run longer than maxRunRecords',
      async () => {
        const topic = uniqueTopic('runs-limit');
        await bus.ensureTopics([topic]);
        const count = 10;
        const maxRunRecords = 3;
        const values = [...Array(count).keys()].map(String);
        await publishText(topic, 'sip:alice@herald.local', ...values);
        const runs: string[][] = [];
        await subscribeRuns({
          groupId: uniqueGroupId('runs-limit'),
          topic,
          maxRunRecords,
          handleRun: async (run) => {
            runs.push(run.map((record) => record.value.toString('utf8')));
          },
        });

        await waitFor(
          () => runs.flat().length >= count,
          subject.deliveryTimeoutMs,
          `${count} records in runs`,
        );
        expect(runs.flat()).toEqual(values);
        expect(Math.max(...runs.map((run) => run.length))).toBe(maxRunRecords);
      },
      testTimeoutMs,
    );

    it(
      'retries a run that threw record by record, committing the records before a poison one',
      async () => {
        const topic = uniqueTopic('runs-poison');
        await bus.ensureTopics([topic]);
        const groupId = uniqueGroupId('runs-poison');
        await publishText(topic, 'sip:alice@herald.local', 'first', 'second', 'poison', 'after');
        const runs: string[][] = [];
        const handled: string[] = [];
        const firstHandle = await subscribeRuns({
          groupId,
          topic,
          handleRun: async (run) => {
            runs.push(run.map((record) => record.value.toString('utf8')));
            throw new Error('the run fails');
          },
          handler: async (record) => {
            const value = record.value.toString('utf8');
            if (value === 'poison') {
              throw new Error('this consumer cannot handle it');
            }
            handled.push(value);
          },
        });
        await waitFor(() => handlerErrors.length >= 2, subject.deliveryTimeoutMs, 'two failed attempts');

        await firstHandle.stop();
        expect(runs).toEqual([['first', 'second', 'poison', 'after']]);
        expect(runErrors).toHaveLength(1);
        // The poison record holds back itself and its key's later record, not the earlier ones.
        expect(handled).toEqual(['first', 'second']);
        const secondConsumer = collector();
        await subscribe(groupId, topic, async (record) => {
          secondConsumer.add(record);
        });
        await waitForCount(secondConsumer, 2);
        await markersHandled(topic, ['sip:alice@herald.local'], markerOf(secondConsumer));
        expect(secondConsumer.values()).toEqual(['poison', 'after']);
      },
      testTimeoutMs,
    );

    it(
      'commits no record of a run before the run resolved',
      async () => {
        const topic = uniqueTopic('runs-uncommitted');
        await bus.ensureTopics([topic]);
        const groupId = uniqueGroupId('runs-uncommitted');
        await publishText(topic, 'sip:alice@herald.local', 'x', 'y');
        let failRun: (error: Error) => void = () => undefined;
        const runStarted = collector();
        const firstHandle = await subscribeRuns({
          groupId,
          topic,
          handleRun: (run) => {
            run.forEach(runStarted.add);
            return new Promise<void>((_, reject) => {
              failRun = reject;
            });
          },
        });
        await waitForCount(runStarted, 2);

        // Stopping waits for the run; it then fails, and the stopping consumer retries nothing.
        const stopping = firstHandle.stop();
        failRun(new Error('the run fails while the consumer stops'));
        await stopping;
        const secondConsumer = collector();
        await subscribe(groupId, topic, async (record) => {
          secondConsumer.add(record);
        });

        await waitForCount(secondConsumer, 2);
        await markersHandled(topic, ['sip:alice@herald.local'], markerOf(secondConsumer));
        expect(runStarted.values()).toEqual(['x', 'y']);
        expect(secondConsumer.values()).toEqual(['x', 'y']);
        expect(handlerErrors).toHaveLength(0);
      },
      testTimeoutMs,
    );

    it(
      'handles records of the other partitions while one is retried, those published since too, each once',
      async () => {
        const topic = uniqueTopic('retry-other-partitions');
        await bus.ensureTopics([topic]);
        const stuckKey = 'sip:stuck@herald.local';
        const otherKeys = [...Array(16).keys()].map((index) => `sip:other${index}@herald.local`);
        // A second group handles everything: it tells which partition each key went to.
        const observed = collector();
        await subscribe(uniqueGroupId('retry-other-partitions-observer'), topic, async (record) => {
          observed.add(record);
        });
        const handled = collector();
        await subscribe(uniqueGroupId('retry-other-partitions'), topic, async (record) => {
          if (record.key === stuckKey) {
            throw new Error('this consumer cannot handle it');
          }
          handled.add(record);
        });
        await publishText(topic, stuckKey, 'stuck');
        await waitFor(() => handlerErrors.length >= 2, subject.deliveryTimeoutMs, 'two failed attempts');

        await bus.publish(otherKeys.map((key) => ({ topic, key, value: Buffer.from(key) })));
        await waitForCount(observed, otherKeys.length + 1);
        const stuckPartition = observed.records.find((record) => record.key === stuckKey)!.partition;
        const onOtherPartitions = observed.records
          .filter((record) => record.partition !== stuckPartition)
          .map((record) => record.key)
          .sort();
        expect(onOtherPartitions.length).toBeGreaterThan(0);
        await waitFor(
          () => onOtherPartitions.every((key) => handled.records.some((record) => record.key === key)),
          subject.deliveryTimeoutMs,
          'the records of the other partitions',
        );
        // Two more failed attempts: records handled past the stuck one are not handled again.
        const failedSoFar = handlerErrors.length;
        await waitFor(
          () => handlerErrors.length >= failedSoFar + 2,
          subject.deliveryTimeoutMs,
          'two more failed attempts',
        );
        const handledKeys = handled.records.map((record) => record.key);
        expect(new Set(handledKeys).size).toBe(handledKeys.length);
      },
      testTimeoutMs,
    );

    it(
      'acknowledges each of many concurrent publishes, every record delivered once',
      async () => {
        const topic = uniqueTopic('concurrent-publishes');
        await bus.ensureTopics([topic]);
        const received = collector();
        await subscribe(uniqueGroupId('concurrent-publishes'), topic, async (record) => {
          received.add(record);
        });
        const count = 50;

        await Promise.all(
          [...Array(count).keys()].map((index) =>
            publishText(topic, `sip:user${index % 7}@herald.local`, String(index)),
          ),
        );

        await waitForCount(received, count);
        await markersHandled(
          topic,
          [...Array(7).keys()].map((index) => `sip:user${index}@herald.local`),
          markerOf(received),
        );
        expect(
          received
            .values()
            .map(Number)
            .sort((a, b) => a - b),
        ).toEqual([...Array(count).keys()]);
      },
      testTimeoutMs,
    );

    it(
      'rejects each of concurrent publishes it cannot get acknowledged with BusUnavailableError',
      async () => {
        const unavailable = await subject.createUnavailableBus();
        opened.push(unavailable);
        const topic = uniqueTopic('unavailable-concurrent');

        const outcomes = await Promise.allSettled(
          [...Array(3).keys()].map((index) =>
            unavailable.publish([{ topic, key: `sip:user${index}@herald.local`, value: Buffer.from('x') }]),
          ),
        );

        for (const outcome of outcomes) {
          expect(outcome.status).toBe('rejected');
          expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(BusUnavailableError);
        }
      },
      testTimeoutMs,
    );

    it(
      'rejects a publish it cannot get acknowledged with BusUnavailableError',
      async () => {
        const unavailable = await subject.createUnavailableBus();
        opened.push(unavailable);

        const publishing = unavailable.publish([
          { topic: uniqueTopic('unavailable'), key: 'sip:alice@herald.local', value: Buffer.from('x') },
        ]);

        await expect(publishing).rejects.toBeInstanceOf(BusUnavailableError);
        await expect(publishing).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
      },
      testTimeoutMs,
    );
  });
}
