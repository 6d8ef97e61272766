import { JournalOffsetCommits } from './journal-offset-commits';
import type { GroupOffset } from './journal-store';

const INTERVAL_MS = 100;

const offset = (groupId: string, partition: number, lastId: bigint): GroupOffset => ({
  groupId,
  topic: 't',
  partition,
  lastId,
});

function committer(store: (offsets: ReadonlyArray<GroupOffset>) => Promise<void>) {
  const errors: Array<[unknown, GroupOffset]> = [];
  const commits = new JournalOffsetCommits(store, INTERVAL_MS, (error, failed) =>
    errors.push([error, failed]),
  );
  return { commits, errors };
}

describe('JournalOffsetCommits', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('stores the offsets handled within an interval in one statement, the highest per group and partition', async () => {
    const stored: GroupOffset[][] = [];
    const { commits } = committer(async (offsets) => void stored.push([...offsets]));

    commits.handled(offset('g', 0, 1n));
    commits.handled(offset('g', 0, 3n));
    commits.handled(offset('g', 1, 2n));
    commits.handled(offset('h', 0, 1n));
    await jest.advanceTimersByTimeAsync(0);
    expect(stored).toEqual([[offset('g', 0, 3n), offset('g', 1, 2n), offset('h', 0, 1n)]]);

    commits.handled(offset('g', 0, 4n));
    await jest.advanceTimersByTimeAsync(INTERVAL_MS - 1);
    expect(stored).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(stored).toEqual([
      [offset('g', 0, 3n), offset('g', 1, 2n), offset('h', 0, 1n)],
      [offset('g', 0, 4n)],
    ]);
  });

  it('stores what waits at once when asked to be idle, after the statement in progress', async () => {
    const stored: GroupOffset[][] = [];
    let finishFirst: () => void = () => undefined;
    const { commits } = committer(async (offsets) => {
      stored.push([...offsets]);
      if (stored.length === 1) await new Promise<void>((resolve) => (finishFirst = resolve));
    });

    commits.handled(offset('g', 0, 1n));
    await jest.advanceTimersByTimeAsync(0);
    commits.handled(offset('g', 0, 2n));
    const idle = commits.idle();
    finishFirst();
    await idle;
    expect(stored).toEqual([[offset('g', 0, 1n)], [offset('g', 0, 2n)]]);
  });

  it('tells of each offset a failed statement held, and stores the next one handled', async () => {
    const failure = new Error('database down');
    const stored: GroupOffset[][] = [];
    const { commits, errors } = committer(async (offsets) => {
      if (stored.push([...offsets]) === 1) throw failure;
    });

    commits.handled(offset('g', 0, 1n));
    commits.handled(offset('g', 1, 1n));
    await jest.advanceTimersByTimeAsync(0);
    expect(errors).toEqual([
      [failure, offset('g', 0, 1n)],
      [failure, offset('g', 1, 1n)],
    ]);

    commits.handled(offset('g', 0, 2n));
    await commits.idle();
    expect(stored.at(-1)).toEqual([offset('g', 0, 2n)]);
  });
});
