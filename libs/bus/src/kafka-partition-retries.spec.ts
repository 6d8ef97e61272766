import type { ConsumedRecord } from './event-bus';
import { KafkaPartitionRetries } from './kafka-partition-retries';

function recordsOf(...values: string[]): ConsumedRecord[] {
  return values.map((value, offset) => ({
    topic: 't',
    key: value.split(':')[0]!,
    value: Buffer.from(value),
    headers: {},
    partition: 0,
    offset: String(offset),
  }));
}

/** The first (and, capped, every) wait before a failed record is fetched again. */
const BACKOFF_MS = 100;

const text = (records: ReadonlyArray<ConsumedRecord>): string[] =>
  records.map((record) => record.value.toString('utf8'));

/** One consumer's retries and what they did: pauses (with resume calls) and failed attempts. */
function consumer(failing: ReadonlySet<string>) {
  const attempts: string[] = [];
  const failures: Array<[string, number]> = [];
  const events: string[] = [];
  const retries = new KafkaPartitionRetries({
    initialDelayMs: BACKOFF_MS,
    maxDelayMs: BACKOFF_MS,
    onHandlerError: (_error, record, attempt) => failures.push([record.value.toString('utf8'), attempt]),
  });
  /** Handles `records` as one delivered batch, each as a run of one; returns what was handled. */
  const deliver = async (records: ReadonlyArray<ConsumedRecord>): Promise<string[]> => {
    const handled: ConsumedRecord[] = [];
    const batch = retries.batch({
      topic: 't',
      partition: 0,
      signal: new AbortController().signal,
      subscription: {
        handler: async (record) => {
          const value = record.value.toString('utf8');
          attempts.push(value);
          if (failing.has(value)) throw new Error(`${value} fails`);
        },
      },
      pause: () => {
        events.push('pause');
        return () => events.push('resume');
      },
    });
    const stoppedKeys = new Set<string>();
    for (const record of records) {
      if (stoppedKeys.has(record.key)) continue;
      if (!(await batch.handle([record], (each) => handled.push(each)))) stoppedKeys.add(record.key);
    }
    batch.finish();
    return text(handled);
  };
  return { retries, deliver, attempts, failures, events };
}

describe('KafkaPartitionRetries', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('attempts a failing record once per delivery, pausing the partition and resuming it after the backoff', async () => {
    const { retries, deliver, failures, events } = consumer(new Set(['a:poison']));
    const records = recordsOf('a:poison', 'b:1', 'a:later');

    expect(await deliver(records)).toEqual(['b:1']);
    expect(failures).toEqual([['a:poison', 1]]);
    expect(events).toEqual(['pause']);
    jest.advanceTimersByTime(BACKOFF_MS - 1);
    expect(events).toEqual(['pause']);
    jest.advanceTimersByTime(1);
    expect(events).toEqual(['pause', 'resume']);

    // Fetched again from the failed record: b:1 was handled past it, so it is only reported.
    expect(await deliver(records)).toEqual(['b:1']);
    expect(failures).toEqual([
      ['a:poison', 1],
      ['a:poison', 2],
    ]);
    retries.stop();
  });

  it('does not hand a record handled past the failed one to the handler again', async () => {
    const { retries, deliver, attempts } = consumer(new Set(['a:poison']));
    const records = recordsOf('a:poison', 'b:1', 'c:1');

    await deliver(records);
    await deliver(records);

    expect(attempts).toEqual(['a:poison', 'b:1', 'c:1', 'a:poison']);
    retries.stop();
  });

  it('forgets the partition once the failed record is handled (attempts start from one again)', async () => {
    const failing = new Set(['a:poison']);
    const { retries, deliver, failures, attempts } = consumer(failing);
    const records = recordsOf('a:poison', 'a:later');

    await deliver(records);
    failing.delete('a:poison');
    expect(await deliver(records)).toEqual(['a:poison', 'a:later']);
    failing.add('a:poison');
    await deliver(records);

    expect(failures).toEqual([
      ['a:poison', 1],
      ['a:poison', 1],
    ]);
    expect(attempts).toEqual(['a:poison', 'a:poison', 'a:later', 'a:poison']);
    retries.stop();
  });

  it('never resumes a partition once the consumer stops', async () => {
    const { retries, deliver, events } = consumer(new Set(['a:poison']));

    await deliver(recordsOf('a:poison'));
    retries.stop();
    jest.advanceTimersByTime(BACKOFF_MS);

    expect(events).toEqual(['pause']);
  });
});
