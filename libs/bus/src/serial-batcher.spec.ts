import { SerialBatcher } from './serial-batcher';

describe('SerialBatcher', () => {
  it('flushes the items submitted while a batch runs together, in submission order, one batch at a time', async () => {
    const batches: number[][] = [];
    let releaseFirst: () => void = () => undefined;
    const batcher = new SerialBatcher<number>(async (items) => {
      batches.push([...items]);
      if (batches.length === 1) await new Promise<void>((resolve) => (releaseFirst = resolve));
    });

    const first = batcher.submit(1);
    const waiting = [batcher.submit(2), batcher.submit(3)];
    releaseFirst();
    await Promise.all([first, ...waiting]);

    expect(batches).toEqual([[1], [2, 3]]);
  });

  it("rejects every item of a failed batch with that batch's error, and flushes the next batch", async () => {
    const failure = new Error('statement failed');
    let calls = 0;
    const batcher = new SerialBatcher<string>(async () => {
      calls += 1;
      if (calls === 1) throw failure;
    });

    await expect(batcher.submit('a')).rejects.toBe(failure);
    await expect(batcher.submit('b')).resolves.toBeUndefined();
    await batcher.idle();
    expect(calls).toBe(2);
  });
});

describe('SerialBatcher gathering a turn', () => {
  it('flushes the items submitted in one event loop turn as one batch', async () => {
    const batches: number[][] = [];
    const batcher = new SerialBatcher<number>(
      async (items) => {
        batches.push([...items]);
      },
      { gatherTurn: true },
    );

    await Promise.all([batcher.submit(1), batcher.submit(2), batcher.submit(3)]);
    await batcher.submit(4);

    expect(batches).toEqual([[1, 2, 3], [4]]);
  });
});

describe('SerialBatcher with a least interval', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('starts a batch after an idle moment at once, and one that waited behind another no sooner than the interval after it', async () => {
    const starts: Array<{ items: number[]; at: number }> = [];
    const batcher = new SerialBatcher<number>(
      async (items) => {
        starts.push({ items: [...items], at: performance.now() });
        await new Promise<void>((resolve) => setTimeout(resolve, 5));
      },
      { minIntervalMs: 100 },
    );

    const submitted = performance.now();
    // 2 and 3 come while 1 is being flushed: they go as one batch, the interval after it.
    const firstThree = Promise.all([batcher.submit(1), batcher.submit(2), batcher.submit(3)]);
    await jest.advanceTimersByTimeAsync(200);
    await firstThree;
    await jest.advanceTimersByTimeAsync(150);
    const afterIdle = performance.now();
    const fourth = batcher.submit(4);
    await jest.advanceTimersByTimeAsync(10);
    await fourth;

    expect(starts.map(({ items }) => items)).toEqual([[1], [2, 3], [4]]);
    const [one, two, three] = starts.map(({ at }) => at);
    expect(one! - submitted).toBe(0);
    expect(two! - one!).toBe(100);
    expect(three! - afterIdle).toBe(0);
  });
});
