import { describeEventBusContract } from '../../../test/support/event-bus-contract';
import { waitFor } from '../../../test/support/wait-for';
import type { ConsumedRecord } from './event-bus';
import { InProcessEventBus } from './in-process-event-bus';

describeEventBusContract('InProcessEventBus', {
  createBus: ({ handlerRetry }) => new InProcessEventBus({ handlerRetry }),
  createUnavailableBus: async () => {
    const closed = new InProcessEventBus();
    await closed.close();
    return closed;
  },
  deliveryTimeoutMs: 2_000,
});

describe('InProcessEventBus stop', () => {
  it('waits for the handler in progress, then delivers nothing more to that consumer', async () => {
    const bus = new InProcessEventBus();
    let releaseHandler: () => void = () => undefined;
    const handled: string[] = [];
    const handle = await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handler: async (record) => {
        await new Promise<void>((resolve) => {
          releaseHandler = resolve;
        });
        handled.push(record.value.toString('utf8'));
      },
    });
    await bus.publish([{ topic: 't', key: 'k', value: Buffer.from('first') }]);
    let stopped = false;
    const stopping = handle.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);

    releaseHandler();
    await stopping;
    await bus.publish([{ topic: 't', key: 'k', value: Buffer.from('second') }]);
    await new Promise((resolve) => setImmediate(resolve));

    expect(handled).toEqual(['first']);
    await bus.close();
  });
});

describe('InProcessEventBus close', () => {
  it('lets the handler in progress publish (its work is finished, not lost), then refuses publishes', async () => {
    const bus = new InProcessEventBus();
    let releaseHandler: () => void = () => undefined;
    const forwarded: string[] = [];
    await bus.subscribe({
      groupId: 'forwarder',
      topics: ['in'],
      handler: async (record) => {
        await new Promise<void>((resolve) => {
          releaseHandler = resolve;
        });
        await bus.publish([{ topic: 'out', key: record.key, value: record.value }]);
        forwarded.push(record.value.toString('utf8'));
      },
    });
    await bus.publish([{ topic: 'in', key: 'k', value: Buffer.from('first') }]);
    await new Promise((resolve) => setImmediate(resolve));
    const closing = bus.close();
    releaseHandler();
    await closing;

    expect(forwarded).toEqual(['first']);
    await expect(bus.publish([{ topic: 'in', key: 'k', value: Buffer.from('late') }])).rejects.toMatchObject({
      code: 'BUS_UNAVAILABLE',
    });
  });
});

describe('InProcessEventBus keys of one partition', () => {
  /** Subscribes group g to topic t, its handler holding record `slow-1` until `releaseSlow()`. */
  async function subscribeHoldingSlow(bus: InProcessEventBus) {
    let release: () => void = () => undefined;
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handler: async (record) => {
        const value = record.value.toString('utf8');
        if (value === 'slow-1') await new Promise<void>((resolve) => (release = resolve));
        handled.push(value);
      },
    });
    return { handled, releaseSlow: () => release() };
  }

  it('handles another key while one key waits, the waiting key still in order', async () => {
    const bus = new InProcessEventBus({ partitions: 1 });
    const { handled, releaseSlow } = await subscribeHoldingSlow(bus);

    await bus.publish(
      ['slow-1', 'fast-1', 'slow-2', 'fast-2'].map((value) => ({
        topic: 't',
        key: value.split('-')[0]!,
        value: Buffer.from(value),
      })),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(handled).toEqual(['fast-1', 'fast-2']);

    releaseSlow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(handled).toEqual(['fast-1', 'fast-2', 'slow-1', 'slow-2']);
    await bus.close();
  });

  it('starts a record published later at once when its key is free, while another key is still busy', async () => {
    const committed: string[] = [];
    const bus = new InProcessEventBus({
      partitions: 1,
      onCommitted: (_groupId, record) => committed.push(record.value.toString('utf8')),
    });
    const { handled, releaseSlow } = await subscribeHoldingSlow(bus);
    const publish = (value: string): Promise<void> =>
      bus.publish([{ topic: 't', key: value.split('-')[0]!, value: Buffer.from(value) }]);

    await publish('slow-1');
    await publish('fast-1');
    await waitFor(() => handled.includes('fast-1'), 2_000, 'fast-1 handled');
    // Handled, but never committed past the busy record before it.
    expect(committed).toEqual([]);

    releaseSlow();
    await waitFor(() => committed.at(-1) === 'fast-1', 2_000, 'fast-1 committed');
    expect(handled).toEqual(['fast-1', 'slow-1']);
    await bus.close();
  });
});

describe('InProcessEventBus retention', () => {
  const RETENTION_WAIT_MS = 5_000;
  const publishValues = (bus: InProcessEventBus, topic: string, values: string[]): Promise<void> =>
    bus.publish(values.map((value) => ({ topic, key: 'k', value: Buffer.from(value) })));
  const numbered = (from: number, count: number): string[] =>
    Array.from({ length: count }, (_, index) => `r${from + index}`);

  it('keeps the records a slow group has not handled, drops them once it has, offsets unchanged', async () => {
    const bus = new InProcessEventBus({ partitions: 1 });
    const fast: ConsumedRecord[] = [];
    const slow: ConsumedRecord[] = [];
    let releaseSlow: () => void = () => undefined;
    const slowReleased = new Promise<void>((resolve) => (releaseSlow = resolve));
    await bus.subscribe({
      groupId: 'fast',
      topics: ['t'],
      handler: async (record) => void fast.push(record),
    });
    await bus.subscribe({
      groupId: 'slow',
      topics: ['t'],
      handler: async (record) => {
        await slowReleased;
        slow.push(record);
      },
    });

    await publishValues(bus, 't', numbered(0, 10));
    await waitFor(() => fast.length === 10, RETENTION_WAIT_MS, 'the fast group to handle all');
    expect(bus.retainedRecords('t')).toBe(10);

    releaseSlow();
    await waitFor(() => bus.retainedRecords('t') === 0, RETENTION_WAIT_MS, 'the records to be dropped');
    await publishValues(bus, 't', ['r10']);
    await waitFor(() => slow.length === 11, RETENTION_WAIT_MS, 'the slow group to handle all');

    expect(slow.map((record) => record.offset)).toEqual(numbered(0, 11).map((value) => value.slice(1)));
    expect(fast.map((record) => record.value.toString('utf8'))).toEqual(numbered(0, 11));
    await bus.close();
  });

  it('holds nothing in memory after many records are handled by every group', async () => {
    const bus = new InProcessEventBus();
    const handled = { first: 0, second: 0 };
    for (const groupId of ['first', 'second'] as const) {
      await bus.subscribe({ groupId, topics: ['t'], handler: async () => void (handled[groupId] += 1) });
    }

    for (let round = 0; round < 20; round += 1) {
      await bus.publish(
        numbered(round * 500, 500).map((value) => ({ topic: 't', key: value, value: Buffer.from(value) })),
      );
    }
    await waitFor(
      () => handled.first === 10_000 && handled.second === 10_000,
      RETENTION_WAIT_MS,
      'both groups to handle 10,000 records',
    );

    await waitFor(() => bus.retainedRecords('t') === 0, RETENTION_WAIT_MS, 'every handled record dropped');
    await bus.close();
  });

  it('keeps the latest records of a topic no group is known for; a group subscribing later gets them', async () => {
    const bus = new InProcessEventBus({ partitions: 1, unconsumedRetentionRecords: 5 });
    await publishValues(bus, 't', numbered(0, 12));
    expect(bus.retainedRecords('t')).toBe(5);

    const late: ConsumedRecord[] = [];
    await bus.subscribe({
      groupId: 'late',
      topics: ['t'],
      handler: async (record) => void late.push(record),
    });

    await waitFor(() => late.length === 5, RETENTION_WAIT_MS, 'the retained records');
    expect(late.map((record) => [record.offset, record.value.toString('utf8')])).toEqual(
      [7, 8, 9, 10, 11].map((offset) => [String(offset), `r${offset}`]),
    );
    await bus.close();
  });

  it('keeps records for a group that stopped or is only reserved, until it handles them', async () => {
    const dropped: Array<[string, number, number]> = [];
    const bus = new InProcessEventBus({
      partitions: 1,
      unconsumedRetentionRecords: 0,
      onDropped: (topic, partition, startOffset) => dropped.push([topic, partition, startOffset]),
    });
    bus.reserveGroup('reserved', ['t']);
    const stopped = await bus.subscribe({
      groupId: 'stopped',
      topics: ['t'],
      handler: async () => undefined,
    });
    await stopped.stop();

    await publishValues(bus, 't', numbered(0, 3));
    await new Promise((resolve) => setImmediate(resolve));
    expect(bus.retainedRecords('t')).toBe(3);

    const reserved: string[] = [];
    await bus.subscribe({
      groupId: 'reserved',
      topics: ['t'],
      handler: async (record) => void reserved.push(record.value.toString('utf8')),
    });
    await waitFor(() => reserved.length === 3, RETENTION_WAIT_MS, 'the reserved group to handle all');
    expect(bus.retainedRecords('t')).toBe(3);

    await bus.subscribe({ groupId: 'stopped', topics: ['t'], handler: async () => undefined });
    await waitFor(() => bus.retainedRecords('t') === 0, RETENTION_WAIT_MS, 'the records to be dropped');
    expect(dropped.at(-1)).toEqual(['t', 0, 3]);
    await bus.close();
  });
});
