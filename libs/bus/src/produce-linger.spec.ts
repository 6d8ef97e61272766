import { ProduceLinger } from './produce-linger';

describe('ProduceLinger', () => {
  afterEach(() => jest.useRealTimers());

  it('passes the items held within lingerMs of the first one on together, in order, once it has passed', async () => {
    jest.useFakeTimers();
    const passed: string[] = [];
    const linger = new ProduceLinger<string>(5, async (item) => {
      passed.push(item);
    });

    const held = [linger.hold('a'), linger.hold('b')];
    jest.advanceTimersByTime(4);
    const third = linger.hold('c');
    expect(passed).toEqual([]);
    jest.advanceTimersByTime(1);

    expect(passed).toEqual(['a', 'b', 'c']);
    await expect(Promise.all([...held, third])).resolves.toEqual([undefined, undefined, undefined]);
  });

  it('starts a new wait for the items held after a release', () => {
    jest.useFakeTimers();
    const passed: string[] = [];
    const linger = new ProduceLinger<string>(5, async (item) => {
      passed.push(item);
    });

    void linger.hold('a');
    jest.advanceTimersByTime(5);
    void linger.hold('b');
    jest.advanceTimersByTime(4);
    expect(passed).toEqual(['a']);
    jest.advanceTimersByTime(1);
    expect(passed).toEqual(['a', 'b']);
  });

  it('passes the held items on at once when released, and nothing twice', () => {
    jest.useFakeTimers();
    const passed: string[] = [];
    const linger = new ProduceLinger<string>(5, async (item) => {
      passed.push(item);
    });

    void linger.hold('a');
    linger.release();
    expect(passed).toEqual(['a']);
    jest.advanceTimersByTime(10);
    linger.release();
    expect(passed).toEqual(['a']);
  });

  it("settles each held item as its pass settles: a failed pass rejects that item with the pass's error", async () => {
    const failure = new Error('produce failed');
    const linger = new ProduceLinger<string>(1, (item) =>
      item === 'bad' ? Promise.reject(failure) : Promise.resolve(),
    );

    const good = linger.hold('good');
    const bad = linger.hold('bad');

    await expect(good).resolves.toBeUndefined();
    await expect(bad).rejects.toBe(failure);
  });
});
