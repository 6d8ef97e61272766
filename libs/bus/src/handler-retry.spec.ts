import type { ConsumedRecord } from './event-bus';
import {
  handleRunOrRecords,
  handleWithRetry,
  maxRunRecordsOf,
  retryingInPlace,
  type HandlerRetryOptions,
} from './handler-retry';
import { BUS_MAX_RUN_RECORDS, InvalidSubscriptionError } from './event-bus';

const record: ConsumedRecord = {
  topic: 't',
  key: 'sip:alice@herald.local',
  value: Buffer.from('x'),
  headers: {},
  partition: 0,
  offset: '7',
};

describe('handleWithRetry', () => {
  it('backs off exponentially up to the maximum between attempts', async () => {
    const attemptTimes: number[] = [];
    const failures: number[] = [];
    const started = Date.now();

    const handled = await handleWithRetry(
      record,
      async () => {
        attemptTimes.push(Date.now() - started);
        if (attemptTimes.length < 5) {
          throw new Error('not yet');
        }
      },
      new AbortController().signal,
      {
        initialDelayMs: 20,
        maxDelayMs: 60,
        onHandlerError: (_error, _record, attempt) => failures.push(attempt),
      },
    );

    expect(handled).toBe(true);
    expect(failures).toEqual([1, 2, 3, 4]);
    const gaps = attemptTimes.slice(1).map((time, index) => time - attemptTimes[index]!);
    // Waits of 20, 40, 60, 60 ms (timers may fire a little late, never early).
    [20, 40, 60, 60].forEach((minimum, index) => expect(gaps[index]).toBeGreaterThanOrEqual(minimum - 2));
  });

  it('gives up without handling when the consumer stops during the backoff', async () => {
    const stopping = new AbortController();
    let attempts = 0;

    const result = handleWithRetry(
      record,
      async () => {
        attempts += 1;
        stopping.abort();
        throw new Error('fails until stopped');
      },
      stopping.signal,
      { initialDelayMs: 60_000, maxDelayMs: 60_000, onHandlerError: () => undefined },
    );

    await expect(result).resolves.toBe(false);
    expect(attempts).toBe(1);
  });
});

describe('handleRunOrRecords with retryingInPlace', () => {
  const runOf = (...values: string[]): ConsumedRecord[] =>
    values.map((value, index) => ({ ...record, value: Buffer.from(value), offset: String(index) }));
  const text = (handled: ReadonlyArray<ConsumedRecord>): string[] =>
    handled.map((each) => each.value.toString('utf8'));
  const quickRetry = { initialDelayMs: 1, maxDelayMs: 1, onHandlerError: () => undefined };
  const runInPlace = (
    run: ReadonlyArray<ConsumedRecord>,
    subscription: Parameters<typeof retryingInPlace>[0],
    signal: AbortSignal,
    options: HandlerRetryOptions,
    onHandled: (record: ConsumedRecord) => void,
  ): Promise<boolean> => handleRunOrRecords(run, retryingInPlace(subscription, signal, options), onHandled);

  it('hands the whole run to handleRun once and reports every record handled, in order', async () => {
    const runs: string[][] = [];
    const handled: ConsumedRecord[] = [];

    const result = await runInPlace(
      runOf('a', 'b', 'c'),
      {
        handler: () => Promise.reject(new Error('not called for a run')),
        handleRun: async (run) => {
          runs.push(text(run));
        },
      },
      new AbortController().signal,
      quickRetry,
      (each) => handled.push(each),
    );

    expect(result).toBe(true);
    expect(runs).toEqual([['a', 'b', 'c']]);
    expect(text(handled)).toEqual(['a', 'b', 'c']);
  });

  it('retries a run that threw record by record through handler, reporting those before a failing one', async () => {
    const stopping = new AbortController();
    const runErrors: number[] = [];
    const attempts: string[] = [];
    const handled: ConsumedRecord[] = [];

    const result = await runInPlace(
      runOf('a', 'poison', 'c'),
      {
        handler: async (each) => {
          attempts.push(each.value.toString('utf8'));
          if (each.value.toString('utf8') === 'poison') {
            if (attempts.length >= 4) stopping.abort();
            throw new Error('poison');
          }
        },
        handleRun: () => Promise.reject(new Error('the run fails')),
      },
      stopping.signal,
      { ...quickRetry, onRunError: (_error, run) => runErrors.push(run.length) },
      (each) => handled.push(each),
    );

    expect(result).toBe(false);
    expect(runErrors).toEqual([3]);
    expect(attempts).toEqual(['a', 'poison', 'poison', 'poison']);
    expect(text(handled)).toEqual(['a']);
  });

  it('hands each record to handler when the subscription has no handleRun', async () => {
    const handled: ConsumedRecord[] = [];
    const attempts: string[] = [];

    const result = await runInPlace(
      runOf('a', 'b'),
      {
        handler: async (each) => {
          attempts.push(each.value.toString('utf8'));
        },
      },
      new AbortController().signal,
      quickRetry,
      (each) => handled.push(each),
    );

    expect(result).toBe(true);
    expect(attempts).toEqual(['a', 'b']);
    expect(text(handled)).toEqual(['a', 'b']);
  });
});

describe('maxRunRecordsOf', () => {
  const base = { groupId: 'g', topics: ['t'], handler: async () => undefined };
  const handleRun = async (): Promise<void> => undefined;

  it('is 1 without handleRun, the default or the given limit with it', () => {
    expect(maxRunRecordsOf(base)).toBe(1);
    expect(maxRunRecordsOf({ ...base, handleRun })).toBe(BUS_MAX_RUN_RECORDS);
    expect(maxRunRecordsOf({ ...base, handleRun, maxRunRecords: 5 })).toBe(5);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => maxRunRecordsOf({ ...base, handleRun, maxRunRecords: 0 })).toThrow(InvalidSubscriptionError);
    expect(() => maxRunRecordsOf({ ...base, handleRun, maxRunRecords: 1.5 })).toThrow(
      InvalidSubscriptionError,
    );
  });
});
