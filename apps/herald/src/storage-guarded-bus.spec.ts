import { BusUnavailableError, type ConsumedRecord, InProcessEventBus } from '#herald/bus';
import { StorageGuardedBus } from './storage-guarded-bus';

const PROBE_TIMEOUT_MS = 50;
const record = { topic: 't', key: 'sip:alice@herald.local', value: Buffer.from('{}') };

describe('StorageGuardedBus', () => {
  let inner: InProcessEventBus;
  beforeEach(() => {
    inner = new InProcessEventBus();
  });
  afterEach(() => inner.close());

  async function delivered(bus: StorageGuardedBus): Promise<ConsumedRecord[]> {
    const seen: ConsumedRecord[] = [];
    await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handler: async (consumed) => void seen.push(consumed),
    });
    await new Promise((resolve) => setImmediate(resolve));
    return seen;
  }

  it('publishes while the storage answers', async () => {
    const bus = new StorageGuardedBus(inner, async () => undefined, PROBE_TIMEOUT_MS);
    await bus.publish([record]);
    expect((await delivered(bus)).map((consumed) => consumed.key)).toEqual([record.key]);
  });

  it('refuses with BusUnavailableError, publishing nothing, when the storage fails', async () => {
    const bus = new StorageGuardedBus(
      inner,
      () => Promise.reject(new Error('connection refused')),
      PROBE_TIMEOUT_MS,
    );
    await expect(bus.publish([record])).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
    expect(await delivered(bus)).toEqual([]);
  });

  it('refuses when the storage hangs longer than the probe timeout', async () => {
    const bus = new StorageGuardedBus(inner, () => new Promise(() => undefined), PROBE_TIMEOUT_MS);
    const started = Date.now();
    await expect(bus.publish([record])).rejects.toBeInstanceOf(BusUnavailableError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(PROBE_TIMEOUT_MS - 5);
    expect(await delivered(bus)).toEqual([]);
  });
});
