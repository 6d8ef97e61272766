import { AnsweredPushes } from './answered-pushes';

describe('AnsweredPushes', () => {
  it('remembers the status of an answered push for the memory period, then forgets it', () => {
    let now = 0;
    const answered = new AnsweredPushes(1_000, 10, () => now);
    answered.remember('im-a', 200);
    now = 1_000;
    expect([answered.statusOf('im-a'), answered.statusOf('im-b')]).toEqual([200, undefined]);
    now = 1_001;
    expect(answered.statusOf('im-a')).toBeUndefined();
  });

  it('forgets the oldest answers beyond its size, counting a repeated answer as new', () => {
    const answered = new AnsweredPushes(60_000, 2, () => 0);
    answered.remember('a', 200);
    answered.remember('b', 202);
    answered.remember('a', 200);
    answered.remember('c', 200);
    expect(['a', 'b', 'c'].map((id) => answered.statusOf(id))).toEqual([200, undefined, 200]);
  });
});
