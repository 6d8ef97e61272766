import type { ConsumedRecord } from './event-bus';
import { handleWithRetry } from './handler-retry';

const record: ConsumedRecord = {
  topic: 't',
  key: 'sip:alice@herald.local',
  value: Buffer.from('x'),
  headers: {},
  partition: 0,
  offset: '7',
};

describe('handleWithRetry', () => {
  it('backs off exponentially up to the maximum between attempts, heartbeating before each retry', async () => {
    const attemptTimes: number[] = [];
    const failures: number[] = [];
    let heartbeats = 0;
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
      async () => {
        heartbeats += 1;
      },
    );

    expect(handled).toBe(true);
    expect(failures).toEqual([1, 2, 3, 4]);
    expect(heartbeats).toBe(4);
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
