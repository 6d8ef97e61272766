import { describeEventBusContract } from '../../../test/support/event-bus-contract';
import { InProcessEventBus } from './in-process-event-bus';

describeEventBusContract('InProcessEventBus', {
  createBus: ({ handlerRetry }) => new InProcessEventBus({ handlerRetry }),
  createUnavailableBus: async () => {
    const closed = new InProcessEventBus();
    await closed.close();
    return closed;
  },
  publishTimeoutMs: 0,
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
  it('handles another key while one key waits, the waiting key still in order', async () => {
    const bus = new InProcessEventBus({ partitions: 1 });
    let releaseSlow: () => void = () => undefined;
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handler: async (record) => {
        const value = record.value.toString('utf8');
        if (value === 'slow-1') await new Promise<void>((resolve) => (releaseSlow = resolve));
        handled.push(value);
      },
    });

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
});
