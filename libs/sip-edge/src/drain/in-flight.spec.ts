import { FakeClock } from '#herald/sip';
import { InFlight, settlesWithin } from './in-flight';

function deferred(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve: () => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('InFlight', () => {
  it('settles after everything tracked, including work tracked while waiting, and failures', async () => {
    const inFlight = new InFlight();
    const first = deferred();
    const failing = deferred();
    void inFlight.track(first.promise);
    inFlight.track(failing.promise).catch(() => undefined);
    let settled = false;
    const waiting = inFlight.settled().then(() => {
      settled = true;
    });
    const late = deferred();
    void inFlight.track(late.promise);
    expect(inFlight.size).toBe(3);
    first.resolve();
    failing.reject(new Error('boom'));
    await tick();
    expect(settled).toBe(false);
    expect(inFlight.size).toBe(1);
    late.resolve();
    await waiting;
    expect(inFlight.size).toBe(0);
  });

  it('returns the tracked promise unchanged', async () => {
    await expect(new InFlight().track(Promise.resolve(42))).resolves.toBe(42);
  });
});

describe('settlesWithin', () => {
  it('is true when the work settles first and false when the time runs out first', async () => {
    const clock = new FakeClock(0);
    const quick = deferred();
    const inTime = settlesWithin(quick.promise, 1_000, clock);
    quick.resolve();
    await expect(inTime).resolves.toBe(true);

    const slow = deferred();
    const late = settlesWithin(slow.promise, 1_000, clock);
    clock.advance(1_000);
    await expect(late).resolves.toBe(false);
  });
});
