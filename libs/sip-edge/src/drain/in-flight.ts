import { Clock } from '#herald/sip';

/**
 * Work still running (requests being answered, pushes waiting for their final response), so a
 * draining edge can wait for it. Each piece stops counting when it settles, whatever its outcome.
 * A count, not a set of promises: one reaction per piece (two reactions and a set entry each were
 * ~0.6 % of the edge's CPU per IM, which tracks four pieces).
 */
export class InFlight {
  private running = 0;
  /** Waiters of `settled`, resolved when the count next reaches zero. */
  private waiters: (() => void)[] = [];
  private readonly finish = (): void => {
    this.running--;
    if (this.running > 0 || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  };

  /** Tracks `work` until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running++;
    void work.then(this.finish, this.finish);
    return work;
  }

  get size(): number {
    return this.running;
  }

  /** Resolves once everything tracked now, and anything tracked meanwhile, has settled. */
  settled(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Resolves true when `work` settles within `timeoutMs` on `clock`, false when the time ran out first. */
export function settlesWithin(work: Promise<void>, timeoutMs: number, clock: Clock): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = clock.setTimer(Math.max(0, timeoutMs), () => resolve(false));
    void work.then(() => {
      clock.clearTimer(timer);
      resolve(true);
    });
  });
}
