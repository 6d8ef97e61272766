import { FakeClock, SystemClock } from './clock';

describe('FakeClock', () => {
  it('fires due timers in time order, including timers scheduled by timers', () => {
    const clock = new FakeClock(100);
    const fired: string[] = [];
    clock.setTimer(50, () => {
      fired.push(`a@${clock.now()}`);
      clock.setTimer(10, () => fired.push(`c@${clock.now()}`));
    });
    clock.setTimer(55, () => fired.push(`b@${clock.now()}`));
    const cancelled = clock.setTimer(20, () => fired.push('never'));
    clock.clearTimer(cancelled);
    clock.advance(59);
    expect(fired).toEqual(['a@150', 'b@155']);
    clock.advance(1);
    expect(fired).toEqual(['a@150', 'b@155', 'c@160']);
    expect(clock.now()).toBe(160);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('SystemClock', () => {
  it('runs and cancels real timers', async () => {
    const clock = new SystemClock();
    const fired: string[] = [];
    const cancelled = clock.setTimer(1, () => fired.push('cancelled'));
    clock.clearTimer(cancelled);
    await new Promise<void>((resolve) => clock.setTimer(5, () => resolve()));
    expect(fired).toEqual([]);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1000);
  });
});
