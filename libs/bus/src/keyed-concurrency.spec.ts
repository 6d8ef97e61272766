import { ConcurrencyLimit } from './keyed-concurrency';
import { KeyedPipeline } from './keyed-pipeline';

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

  handle = (run: ReadonlyArray<TestRecord>, onHandled: (record: TestRecord) => void): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      this.runs.push(run);
      this.finishers.set(run[0]!.offset, (handledRecords) => {
        run.slice(0, handledRecords).forEach(onHandled);
        resolve(handledRecords === run.length);
      });
    });

  /** Finishes the run starting at `offset`: all its records handled, or only the first `handledRecords`. */
  async finish(offset: number, handledRecords?: number): Promise<void> {
    const finisher = this.finishers.get(offset);
    if (finisher === undefined) throw new Error(`no run starting at ${offset} was started`);
    this.finishers.delete(offset);
    const run = this.runs.find((started) => started[0]!.offset === offset)!;
    finisher(handledRecords ?? run.length);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const offsetsOf = (runs: ReadonlyArray<ReadonlyArray<TestRecord>>): number[][] =>
  runs.map((run) => run.map((record) => record.offset));

function pipelineOf(
  handler: PendingHandler,
  options: { limit: number; maxRunRecords: number; reported?: number[] },
): KeyedPipeline<TestRecord> {
  return new KeyedPipeline<TestRecord>({
    keyOf: (record) => record.key,
    limit: new ConcurrencyLimit(options.limit),
    maxRunRecords: options.maxRunRecords,
    handle: handler.handle,
    shouldStop: () => false,
    onHandledThrough: (record) => options.reported?.push(record.offset),
    onUnexpectedError: (error) => {
      throw error;
    },
  });
}

describe('KeyedPipeline runs', () => {
  it('hands a key every record of it waiting as one run, up to maxRunRecords, never mixing keys', async () => {
    const handler = new PendingHandler();
    const pipeline = pipelineOf(handler, { limit: 8, maxRunRecords: 3 });
    pipeline.add(recordsOf('aabaaabaa'));
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
    await pipeline.idle();
    expect(offsetsOf(handler.runs)).toEqual([[0, 1, 3], [2, 6], [4, 5, 7], [8]]);
  });

  it('hands single-record runs while each key has one record waiting', async () => {
    const handler = new PendingHandler();
    const pipeline = pipelineOf(handler, { limit: 8, maxRunRecords: 64 });
    pipeline.add(recordsOf('abc'));
    await handler.finish(0);
    await handler.finish(1);
    await handler.finish(2);
    await pipeline.idle();
    expect(offsetsOf(handler.runs)).toEqual([[0], [1], [2]]);
  });

  it('reports the records of a run handled before it stopped, and starts no later run of that key', async () => {
    const handler = new PendingHandler();
    const reported: number[] = [];
    const pipeline = pipelineOf(handler, { limit: 8, maxRunRecords: 3, reported });
    pipeline.add(recordsOf('aaaab'));
    await handler.finish(4);
    await handler.finish(0, 2);
    await pipeline.idle();
    expect(offsetsOf(handler.runs)).toEqual([[0, 1, 2], [4]]);
    expect(reported).toEqual([0, 1]);
  });
});

describe('ConcurrencyLimit', () => {
  it('takes one slot per run of a pipeline', async () => {
    const handler = new PendingHandler();
    const pipeline = pipelineOf(handler, { limit: 1, maxRunRecords: 64 });
    pipeline.add(recordsOf('aab'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(offsetsOf(handler.runs)).toEqual([[0, 1]]);
    await handler.finish(0);
    expect(offsetsOf(handler.runs)).toEqual([[0, 1], [2]]);
    await handler.finish(2);
    await pipeline.idle();
  });

  it('keeps no more runs in the handler than the limit, serving waiters in order', async () => {
    const handler = new PendingHandler();
    const pipeline = pipelineOf(handler, { limit: 2, maxRunRecords: 1 });
    pipeline.add(recordsOf('abcd'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(offsetsOf(handler.runs)).toEqual([[0], [1]]);
    await handler.finish(1);
    expect(offsetsOf(handler.runs)).toEqual([[0], [1], [2]]);
    await handler.finish(0);
    expect(offsetsOf(handler.runs)).toEqual([[0], [1], [2], [3]]);
    await handler.finish(2);
    await handler.finish(3);
    await pipeline.idle();
  });

  it('rejects a limit below one', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
  });
});
