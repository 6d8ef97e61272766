import { PartitionLog } from './partition-log';

function logOf(count: number): PartitionLog<string> {
  const log = new PartitionLog<string>();
  for (let index = 0; index < count; index += 1) {
    log.append(`r${index}`);
  }
  return log;
}

describe('PartitionLog', () => {
  it('hands out offsets from 0 in append order', () => {
    const log = new PartitionLog<string>();

    expect([log.append('a'), log.append('b'), log.append('c')]).toEqual([0, 1, 2]);
    expect(log.slice(0, 3)).toEqual(['a', 'b', 'c']);
    expect([log.startOffset, log.endOffset, log.size]).toEqual([0, 3, 3]);
  });

  it('keeps the offsets of retained entries when the head is dropped', () => {
    const log = logOf(10);

    log.dropBefore(4);

    expect([log.startOffset, log.endOffset, log.size]).toEqual([4, 10, 6]);
    expect(log.at(3)).toBeUndefined();
    expect(log.at(4)).toBe('r4');
    expect(log.at(9)).toBe('r9');
    expect(log.slice(0, 6)).toEqual(['r4', 'r5']);
    expect(log.append('r10')).toBe(10);
  });

  it('keeps offsets across the compaction of its backing array', () => {
    const log = logOf(5_000);

    log.dropBefore(3_000);
    log.dropBefore(4_999);

    expect([log.startOffset, log.endOffset, log.size]).toEqual([4_999, 5_000, 1]);
    expect(log.at(4_999)).toBe('r4999');
    expect(log.slice(4_000, 6_000)).toEqual(['r4999']);
    expect(log.append('r5000')).toBe(5_000);
    expect(log.at(5_000)).toBe('r5000');
  });

  it('ignores a drop below its start and clamps one past its end', () => {
    const log = logOf(3);
    log.dropBefore(2);

    log.dropBefore(1);
    expect(log.startOffset).toBe(2);

    log.dropBefore(7);
    expect([log.startOffset, log.endOffset, log.size]).toEqual([3, 3, 0]);
    expect(log.append('r3')).toBe(3);
  });

  it('returns nothing for offsets not appended yet', () => {
    const log = logOf(2);

    expect(log.at(2)).toBeUndefined();
    expect(log.slice(2, 10)).toEqual([]);
  });
});
