import { ConcurrencyLimit, handleKeysConcurrently } from './keyed-concurrency';

interface TestRecord {
  key: string;
  offset: number;
}

function recordsOf(keys: string): TestRecord[] {
  return [...keys].map((key, offset) => ({ key, offset }));
}

/** A run handler whose calls stay pending until the test finishes them, one by one. */
class PendingHandler {
  readonly runs: Array<ReadonlyArray<TestRecord>> = [];
  private readonly finishers = new Map<number, (handledRecords: number) => void>();

  /** The first record of each run started, in start order. */
  get started(): TestRecord[] {
    return this.runs.map((run) => run[0]!);
  }

  handle = (run: ReadonlyArray<TestRecord>, onHandled: (record: TestRecord) => void): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      this.runs.push(run);
      this.finishers.set(run[0]!.offset, (handledRecords) => {
        run.slice(0, handledRecords).forEach(onHandled);
        resolve(handledRecords === run.length);
      });
    });

  /** Finishes the run starting at `offset`: all its records handled, or only the first `handledRecords`. */
  async finish(offset: number, handled: boolean | number = true): Promise<void> {
    const finisher = this.finishers.get(offset);
    if (finisher === undefined) throw new Error(`no run starting at ${offset} was started`);
    this.finishers.delete(offset);
    const run = this.runs.find((started) => started[0]!.offset === offset)!;
    finisher(handled === true ? run.length : handled === false ? 0 : handled);
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
      maxRunRecords: 1,
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
      maxRunRecords: 1,
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
      maxRunRecords: 1,
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
      maxRunRecords: 1,
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
      maxRunRecords: 1,
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
      maxRunRecords: 1,
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

describe('handleKeysConcurrently runs', () => {
  const offsetsOf = (runs: ReadonlyArray<ReadonlyArray<TestRecord>>): number[][] =>
    runs.map((run) => run.map((record) => record.offset));

  it('hands a key every record of it waiting as one run, up to maxRunRecords, never mixing keys', async () => {
    const handler = new PendingHandler();
    const done = handleKeysConcurrently({
      records: recordsOf('aabaaabaa'),
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(8),
      maxRunRecords: 3,
      handle: handler.handle,
      shouldStop: () => false,
      onHandledThrough: async () => undefined,
    });
    await flushPromises();
    expect(offsetsOf(handler.runs)).toEqual([
      [0, 1, 3],
      [2, 6],
    ]);

    await handler.finish(0);
    expect(offsetsOf(handler.runs)).toEqual([
      [0, 1, 3],
      [2, 6],
      [4, 5, 7],
    ]);
    await handler.finish(4);
    await handler.finish(8);
    await handler.finish(2);
    await done;
    expect(offsetsOf(handler.runs)).toEqual([[0, 1, 3], [2, 6], [4, 5, 7], [8]]);
  });

  it('hands single-record runs while each key has one record waiting', async () => {
    const handler = new PendingHandler();
    const done = handleKeysConcurrently({
      records: recordsOf('abc'),
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(8),
      maxRunRecords: 64,
      handle: handler.handle,
      shouldStop: () => false,
      onHandledThrough: async () => undefined,
    });
    await flushPromises();
    await handler.finish(0);
    await handler.finish(1);
    await handler.finish(2);
    await done;
    expect(offsetsOf(handler.runs)).toEqual([[0], [1], [2]]);
  });

  it('takes one concurrency slot per run', async () => {
    const handler = new PendingHandler();
    const done = handleKeysConcurrently({
      records: recordsOf('aab'),
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(1),
      maxRunRecords: 64,
      handle: handler.handle,
      shouldStop: () => false,
      onHandledThrough: async () => undefined,
    });
    await flushPromises();
    expect(offsetsOf(handler.runs)).toEqual([[0, 1]]);
    await handler.finish(0);
    expect(offsetsOf(handler.runs)).toEqual([[0, 1], [2]]);
    await handler.finish(2);
    await done;
  });

  it('reports the records of a run handled before it stopped, and starts no later run of that key', async () => {
    const handler = new PendingHandler();
    const reported: number[] = [];
    const done = handleKeysConcurrently({
      records: recordsOf('aaaab'),
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(8),
      maxRunRecords: 3,
      handle: handler.handle,
      shouldStop: () => false,
      onHandledThrough: async (record) => {
        reported.push(record.offset);
      },
    });
    await flushPromises();
    await handler.finish(4);
    await handler.finish(0, 2);
    await done;
    expect(offsetsOf(handler.runs)).toEqual([[0, 1, 2], [4]]);
    expect(reported).toEqual([1]);
  });

  it('refuses a run limit below one', async () => {
    await expect(
      handleKeysConcurrently({
        records: recordsOf('a'),
        keyOf: (record) => record.key,
        limit: new ConcurrencyLimit(1),
        maxRunRecords: 0,
        handle: async () => true,
        shouldStop: () => false,
        onHandledThrough: async () => undefined,
      }),
    ).rejects.toThrow(RangeError);
  });
});

describe('ConcurrencyLimit', () => {
  it('rejects a limit below one', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
  });
});
