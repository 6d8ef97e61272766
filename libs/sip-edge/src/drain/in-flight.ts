import { Clock } from '#herald/sip';

/**
 * Work still running (requests being answered, pushes waiting for their final response), so a
 * draining edge can wait for it. Each piece leaves the set when it settles, whatever its outcome.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** Tracks `work` until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return work;
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves once everything tracked now, and anything tracked meanwhile, has settled. */
  async settled(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.all([...this.running]);
    }
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
