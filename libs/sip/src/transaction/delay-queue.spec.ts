import fc from 'fast-check';
import { FakeClock, SystemClock } from './clock';

/** Timeouts holding the process open (referenced), as Node lists them. */
function referencedTimeouts(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

describe('SystemClock timers (one Node timer per delay), with fake time', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fires each timer at its own due time, in the order set, one Node timer per delay', () => {
    const clock = new SystemClock();
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${Date.now() - start}`);
    const start = Date.now();
    clock.setTimer(500, at('a'));
    jest.advanceTimersByTime(100);
    clock.setTimer(500, at('b'));
    clock.setTimer(200, at('c'));
    expect(jest.getTimerCount()).toBe(2);
    jest.advanceTimersByTime(399);
    expect(fired).toEqual(['c@300']);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['c@300', 'a@500']);
    jest.advanceTimersByTime(99);
    expect(fired).toEqual(['c@300', 'a@500']);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['c@300', 'a@500', 'b@600']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never fires a cleared timer, and clearing twice or after firing does nothing', () => {
    const clock = new SystemClock();
    const fired: string[] = [];
    const first = clock.setTimer(500, () => fired.push('first'));
    const second = clock.setTimer(500, () => fired.push('second'));
    const third = clock.setTimer(500, () => fired.push('third'));
    clock.clearTimer(second);
    clock.clearTimer(second);
    jest.advanceTimersByTime(500);
    expect(fired).toEqual(['first', 'third']);
    clock.clearTimer(first);
    clock.clearTimer(third);
    const fourth = clock.setTimer(500, () => fired.push('fourth'));
    jest.advanceTimersByTime(500);
    expect(fired).toEqual(['first', 'third', 'fourth']);
    clock.clearTimer(fourth);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('fires the timers set after every earlier one was cleared at their own time, not the earlier ones', () => {
    const clock = new SystemClock();
    const fired: number[] = [];
    const start = Date.now();
    clock.clearTimer(clock.setTimer(500, () => fired.push(-1)));
    jest.advanceTimersByTime(300);
    clock.setTimer(500, () => fired.push(Date.now() - start));
    jest.advanceTimersByTime(499);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual([800]);
  });

  it("runs a timer set by a timer's callback in a later pass, as Node does, also with no delay", () => {
    const clock = new SystemClock();
    let passes = 0;
    const again = (): void => {
      passes++;
      if (passes < 1000) clock.setTimer(0, again);
    };
    clock.setTimer(0, again);
    jest.advanceTimersByTime(10);
    // One pass per millisecond at most: run in the same pass, the chain would have run 1,000 times.
    expect(passes).toBeGreaterThan(0);
    expect(passes).toBeLessThanOrEqual(11);
  });

  it('lets a callback clear a timer of its own delay due in the same pass', () => {
    const clock = new SystemClock();
    const fired: string[] = [];
    let second = clock.setTimer(100, () => undefined);
    clock.clearTimer(second);
    clock.setTimer(100, () => {
      fired.push('first');
      clock.clearTimer(second);
    });
    second = clock.setTimer(100, () => fired.push('second'));
    clock.setTimer(100, () => fired.push('third'));
    jest.advanceTimersByTime(100);
    expect(fired).toEqual(['first', 'third']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps firing the live timers in order after shedding thousands of cleared ones', () => {
    const clock = new SystemClock();
    const fired: number[] = [];
    const handles = Array.from({ length: 5000 }, (_, index) =>
      clock.setTimer(32_000, () => fired.push(index)),
    );
    handles.forEach((handle, index) => {
      if (index % 1000 !== 0) clock.clearTimer(handle);
    });
    jest.advanceTimersByTime(32_000);
    expect(fired).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('fires timers as FakeClock does for any sequence of sets, clears and waits', () => {
    type Step =
      { kind: 'set'; delayMs: number } | { kind: 'clear'; which: number } | { kind: 'wait'; ms: number };
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        delayMs: fc.oneof(fc.constantFrom(1, 500, 5000, 32_000), fc.integer({ min: 1, max: 40_000 })),
      }),
      fc.record({ kind: fc.constant('clear' as const), which: fc.nat() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps: Step[]) => {
        const system = new SystemClock();
        const fake = new FakeClock(Date.now());
        const systemFired: string[] = [];
        const fakeFired: string[] = [];
        const handles: [ReturnType<SystemClock['setTimer']>, ReturnType<FakeClock['setTimer']>][] = [];
        for (const current of steps) {
          if (current.kind === 'set') {
            const id = handles.length;
            handles.push([
              system.setTimer(current.delayMs, () => systemFired.push(`${id}@${Date.now()}`)),
              fake.setTimer(current.delayMs, () => fakeFired.push(`${id}@${fake.now()}`)),
            ]);
          } else if (current.kind === 'clear' && handles.length > 0) {
            const [systemHandle, fakeHandle] = handles[current.which % handles.length];
            system.clearTimer(systemHandle);
            fake.clearTimer(fakeHandle);
          } else if (current.kind === 'wait') {
            jest.advanceTimersByTime(current.ms);
            fake.advance(current.ms);
          }
          expect(systemFired).toEqual(fakeFired);
        }
        jest.advanceTimersByTime(40_000);
        fake.advance(40_000);
        expect(systemFired).toEqual(fakeFired);
        expect(jest.getTimerCount()).toBe(0);
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });
});

describe('SystemClock timers, real time', () => {
  it('holds the process open while a timer is live, and not once every one was cleared', async () => {
    const clock = new SystemClock();
    const before = referencedTimeouts();
    const first = clock.setTimer(60_000, () => undefined);
    const second = clock.setTimer(60_000, () => undefined);
    expect(referencedTimeouts()).toBe(before + 1);
    clock.clearTimer(first);
    expect(referencedTimeouts()).toBe(before + 1);
    clock.clearTimer(second);
    expect(referencedTimeouts()).toBe(before);
    const third = clock.setTimer(60_000, () => undefined);
    expect(referencedTimeouts()).toBe(before + 1);
    clock.clearTimer(third);
    expect(referencedTimeouts()).toBe(before);
    const fired = await new Promise<number>((resolve) => {
      const start = performance.now();
      clock.setTimer(20, () => resolve(performance.now() - start));
    });
    expect(fired).toBeGreaterThanOrEqual(19);
  });
});
