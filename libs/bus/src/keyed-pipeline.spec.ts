import { ConcurrencyLimit } from './keyed-concurrency';
import { KeyedPipeline } from './keyed-pipeline';

interface TestRecord {
  key: string;
  offset: number;
}

/** A run handler whose calls stay pending until the test finishes them. */
class PendingHandler {
  readonly runs: Array<ReadonlyArray<TestRecord>> = [];
  private readonly finishers = new Map<number, (complete: boolean) => void>();

  handle = (run: ReadonlyArray<TestRecord>, onHandled: (record: TestRecord) => void): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      this.runs.push(run);
      this.finishers.set(run[0]!.offset, (complete) => {
        if (complete) run.forEach(onHandled);
        resolve(complete);
      });
    });

  async finish(offset: number, complete = true): Promise<void> {
    const finisher = this.finishers.get(offset);
    if (finisher === undefined) throw new Error(`no run starting at ${offset} was started`);
    this.finishers.delete(offset);
    finisher(complete);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const offsetsOf = (runs: ReadonlyArray<ReadonlyArray<TestRecord>>): number[][] =>
  runs.map((run) => run.map((record) => record.offset));

function pipelineOf(
  handler: PendingHandler,
  reported: number[],
  options: { maxRunRecords?: number; stop?: () => boolean } = {},
) {
  const errors: unknown[] = [];
  const pipeline = new KeyedPipeline<TestRecord>({
    keyOf: (record) => record.key,
    limit: new ConcurrencyLimit(8),
    maxRunRecords: options.maxRunRecords ?? 64,
    handle: handler.handle,
    shouldStop: options.stop ?? (() => false),
    onHandledThrough: (record) => reported.push(record.offset),
    onUnexpectedError: (error) => errors.push(error),
  });
  return { pipeline, errors };
}

describe('KeyedPipeline', () => {
  it('starts a record added while another key is busy at once, and one of a busy key after its run', async () => {
    const handler = new PendingHandler();
    const reported: number[] = [];
    const { pipeline, errors } = pipelineOf(handler, reported);

    pipeline.add([{ key: 'a', offset: 0 }]);
    pipeline.add([
      { key: 'b', offset: 1 },
      { key: 'a', offset: 2 },
      { key: 'a', offset: 3 },
    ]);
    expect(offsetsOf(handler.runs)).toEqual([[0], [1]]);
    expect(pipeline.pending).toBe(4);

    await handler.finish(1);
    expect(reported).toEqual([]);
    await handler.finish(0);
    // One report for the prefix that became handled at once.
    expect(reported).toEqual([1]);
    expect(offsetsOf(handler.runs)).toEqual([[0], [1], [2, 3]]);
    await handler.finish(2);
    await pipeline.idle();
    expect(reported).toEqual([1, 2, 3]);
    expect(pipeline.pending).toBe(0);
    expect(errors).toEqual([]);
  });

  it('starts a key again for a record added after its last run finished', async () => {
    const handler = new PendingHandler();
    const reported: number[] = [];
    const { pipeline } = pipelineOf(handler, reported);

    pipeline.add([{ key: 'a', offset: 0 }]);
    await handler.finish(0);
    pipeline.add([{ key: 'a', offset: 1 }]);
    expect(offsetsOf(handler.runs)).toEqual([[0], [1]]);
    await handler.finish(1);
    await pipeline.idle();
    expect(reported).toEqual([0, 1]);
  });

  it('never reports past a run left unhandled, and starts nothing more of its key', async () => {
    const handler = new PendingHandler();
    const reported: number[] = [];
    const { pipeline } = pipelineOf(handler, reported, { maxRunRecords: 1 });

    pipeline.add([
      { key: 'a', offset: 0 },
      { key: 'b', offset: 1 },
      { key: 'a', offset: 2 },
    ]);
    await handler.finish(0, false);
    await handler.finish(1);
    pipeline.add([{ key: 'a', offset: 3 }]);
    await pipeline.idle();
    expect(offsetsOf(handler.runs)).toEqual([[0], [1]]);
    expect(reported).toEqual([]);
    expect(pipeline.pending).toBe(4);
  });

  it('starts no run once told to stop', async () => {
    const handler = new PendingHandler();
    let stopping = false;
    const { pipeline } = pipelineOf(handler, [], { stop: () => stopping });

    pipeline.add([{ key: 'a', offset: 0 }]);
    stopping = true;
    pipeline.add([
      { key: 'a', offset: 1 },
      { key: 'b', offset: 2 },
    ]);
    await handler.finish(0);
    await pipeline.idle();
    expect(offsetsOf(handler.runs)).toEqual([[0]]);
  });

  it('tells of a run that threw', async () => {
    const failure = new Error('bug');
    const errors: unknown[] = [];
    const pipeline = new KeyedPipeline<TestRecord>({
      keyOf: (record) => record.key,
      limit: new ConcurrencyLimit(1),
      maxRunRecords: 1,
      handle: () => Promise.reject(failure),
      shouldStop: () => false,
      onHandledThrough: () => undefined,
      onUnexpectedError: (error) => errors.push(error),
    });
    pipeline.add([{ key: 'a', offset: 0 }]);
    await pipeline.idle();
    expect(errors).toEqual([failure]);
  });

  it('refuses a run limit below one', () => {
    expect(() => pipelineOf(new PendingHandler(), [], { maxRunRecords: 0 })).toThrow(RangeError);
  });
});
