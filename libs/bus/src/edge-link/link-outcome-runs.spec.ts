import type { ConsumedRecord, Subscription } from '../event-bus';
import { outcomeFrameHandler } from './link-outcome-runs';

const TOPIC = 'sip.push-outcome.im-router.v1';
const frame = (keys: string): ConsumedRecord[] =>
  [...keys].map((key, index) => ({
    topic: TOPIC,
    key,
    value: Buffer.from(String(index)),
    headers: {},
    partition: -1,
    offset: `link:1.${index}`,
  }));
const indexes = (run: ReadonlyArray<ConsumedRecord>): number[] =>
  run.map((record) => Number(record.value.toString()));

describe('outcomeFrameHandler', () => {
  const subscription = (overrides: Partial<Subscription>): Subscription => ({
    groupId: 'g',
    topics: [TOPIC],
    handler: async () => undefined,
    ...overrides,
  });

  it('hands runs per key, frame order kept, at most maxRunRecords, and reports the frame handled', async () => {
    const runs: number[][] = [];
    const handle = outcomeFrameHandler(
      subscription({ maxRunRecords: 2, handleRun: async (run) => void runs.push(indexes(run)) }),
      TOPIC,
    );
    await expect(handle(frame('ABAAB'))).resolves.toBe(5);
    expect(runs.sort()).toEqual([[0, 2], [1, 4], [3]]);
  });

  it('calls handler per record without handleRun', async () => {
    const handled: number[] = [];
    const handle = outcomeFrameHandler(
      subscription({ handler: async (record) => void handled.push(indexes([record])[0]!) }),
      TOPIC,
    );
    await expect(handle(frame('AAB'))).resolves.toBe(3);
    expect(handled.sort()).toEqual([0, 1, 2]);
  });

  it('reports the records before the first of a run that threw, and stops that key there', async () => {
    const runs: number[][] = [];
    const handle = outcomeFrameHandler(
      subscription({
        maxRunRecords: 1,
        handleRun: async (run) => {
          if (indexes(run)[0] === 2) throw new Error('the database is away');
          runs.push(indexes(run));
        },
      }),
      TOPIC,
    );
    await expect(handle(frame('AABAB'))).resolves.toBe(2);
    expect(runs.sort()).toEqual([[0], [1], [3]]);
  });

  it('skips a record of another topic, counting it handled', async () => {
    const runs: number[][] = [];
    const handle = outcomeFrameHandler(
      subscription({ handleRun: async (run) => void runs.push(indexes(run)) }),
      TOPIC,
    );
    const records = frame('AB');
    records[0] = { ...records[0]!, topic: 'sip.push-outcome.auth.v1' };
    await expect(handle(records)).resolves.toBe(2);
    expect(runs).toEqual([[1]]);
  });
});
