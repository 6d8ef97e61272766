import { RecentIds } from './recent-ids';

describe('RecentIds', () => {
  it('reports an id as new once, and a repeat as seen', () => {
    const ids = new RecentIds(4);
    expect(ids.firstSeen('p-1')).toBe(true);
    expect(ids.firstSeen('p-1')).toBe(false);
    expect(ids.firstSeen('p-2')).toBe(true);
  });

  it('forgets the oldest ids beyond its capacity', () => {
    const ids = new RecentIds(2);
    ids.firstSeen('a');
    ids.firstSeen('b');
    ids.firstSeen('c');
    expect(ids.firstSeen('b')).toBe(false);
    expect(ids.firstSeen('c')).toBe(false);
    expect(ids.firstSeen('a')).toBe(true);
  });
});
