import { ConcurrencyLimit, handleKeysConcurrently } from './keyed-concurrency';

interface TestRecord {
  key: string;
  offset: number;
}

function recordsOf(keys: string): TestRecord[] {
  return [...keys].map((key, offset) => ({ key, offset }));
}

/** A handler whose calls stay pending until the test finishes them, one by one. */
class PendingHandler {
  readonly started: TestRecord[] = [];
  private readonly finishers = new Map<number, (handled: boolean) => void>();

  handle = (record: TestRecord): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      this.started.push(record);
      this.finishers.set(record.offset, resolve);
    });

  async finish(offset: number, handled = true): Promise<void> {
    const finisher = this.finishers.get(offset);
    if (finisher === undefined) throw new Error(`record ${offset} was not started`);
    this.finishers.delete(offset);
    finisher(handled);
    await flushPromises();
  }
}

async function flushPromises(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('handleKeysConcurrently', () => {
  it('starts the first record of every key at once and the next record of a key only after the previous', async () => {
    const handler = new PendingHandler();
    const done = handleKeysConcurrently({
      records: recordsOf('aabba'),
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(8),
      handle: handler.handle,
      shouldStop: () => false,
      onHandledThrough: async () => undefined,
    });
    await flushPromises();
    expect(handler.started.map((record) => record.offset)).toEqual([0, 2]);

    await handler.finish(2);
    expect(handler.started.map((record) => record.offset)).toEqual([0, 2, 3]);
    await handler.finish(0);
    await handler.finish(3);
    await handler.finish(1);
    await handler.finish(4);
    await done;
    expect(handler.started.map((record) => record.offset)).toEqual([0, 2, 3, 1, 4]);
  });

  it('reports only the contiguous prefix of handled records, in offset order', async () => {
    const handler = new PendingHandler();
    const reported: number[] = [];
    const done = handleKeysConcurrently({
      records: recordsOf('abc'),
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(8),
      handle: handler.handle,
      shouldStop: () => false,
      onHandledThrough: async (record) => {
        reported.push(record.offset);
      },
    });
    await flushPromises();
    await handler.finish(2);
    await handler.finish(1);
    expect(reported).toEqual([]);
    await handler.finish(0);
    await done;
    expect(reported).toEqual([2]);
  });

  it('never reports past a record left unhandled, while other keys go on', async () => {
    const handler = new PendingHandler();
    const reported: number[] = [];
    const done = handleKeysConcurrently({
      records: recordsOf('abab'),
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(8),
      handle: handler.handle,
      shouldStop: () => false,
      onHandledThrough: async (record) => {
        reported.push(record.offset);
      },
    });
    await flushPromises();
    await handler.finish(0);
    await handler.finish(1, false);
    await handler.finish(2);
    await done;
    expect(reported).toEqual([0]);
    // Key b stopped at its unhandled record: its later record was never started.
    expect(handler.started.map((record) => record.offset)).toEqual([0, 1, 2]);
  });

  it('keeps no more records in the handler than the limit', async () => {
    const handler = new PendingHandler();
    const done = handleKeysConcurrently({
      records: recordsOf('abcd'),
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(2),
      handle: handler.handle,
      shouldStop: () => false,
      onHandledThrough: async () => undefined,
    });
    await flushPromises();
    expect(handler.started.map((record) => record.offset)).toEqual([0, 1]);
    await handler.finish(1);
    expect(handler.started.map((record) => record.offset)).toEqual([0, 1, 2]);
    await handler.finish(0);
    await handler.finish(2);
    await handler.finish(3);
    await done;
  });

  it('starts nothing more once told to stop', async () => {
    const handler = new PendingHandler();
    let stopping = false;
    const done = handleKeysConcurrently({
      records: recordsOf('aab'),
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(8),
      handle: handler.handle,
      shouldStop: () => stopping,
      onHandledThrough: async () => undefined,
    });
    await flushPromises();
    stopping = true;
    await handler.finish(0);
    await handler.finish(2);
    await done;
    expect(handler.started.map((record) => record.offset)).toEqual([0, 2]);
  });

  it('rejects with a failed report after every key is done', async () => {
    const failure = new Error('commit failed');
    const handler = new PendingHandler();
    const done = handleKeysConcurrently({
      records: recordsOf('ab'),
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(8),
      handle: handler.handle,
      shouldStop: () => false,
      onHandledThrough: () => Promise.reject(failure),
    });
    const outcome = expect(done).rejects.toBe(failure);
    await flushPromises();
    await handler.finish(0);
    await handler.finish(1);
    await outcome;
  });
});

describe('ConcurrencyLimit', () => {
  it('rejects a limit below one', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
  });
});
