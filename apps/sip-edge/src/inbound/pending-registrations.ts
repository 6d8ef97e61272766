import { RegisterDecidedV1 } from '#herald/contracts';
import { Clock } from '#herald/sip';

interface Waiter {
  resolve(decision: RegisterDecidedV1 | undefined): void;
}

/**
 * REGISTER server transactions waiting for `register.decided` (matched by txKey). A waiter
 * resolves with the decision, or with undefined when the timeout passes first.
 */
export class PendingRegistrations {
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly clock: Clock) {}

  /** Registers the wait BEFORE publishing, so a fast decision is never missed. */
  wait(
    txKey: string,
    timeoutMs: number,
  ): { decision: Promise<RegisterDecidedV1 | undefined>; cancel(): void } {
    let settle: (decision: RegisterDecidedV1 | undefined) => void = () => undefined;
    const decision = new Promise<RegisterDecidedV1 | undefined>((resolve) => {
      settle = resolve;
    });
    const timer = this.clock.setTimer(timeoutMs, () => finish(undefined));
    const finish = (value: RegisterDecidedV1 | undefined): void => {
      this.clock.clearTimer(timer);
      if (this.waiters.get(txKey) === waiter) this.waiters.delete(txKey);
      settle(value);
    };
    const waiter: Waiter = { resolve: finish };
    this.waiters.set(txKey, waiter);
    return { decision, cancel: () => finish(undefined) };
  }

  /** Hands a decision to its waiter; false when none waits (timed out, or another edge process). */
  resolve(decision: RegisterDecidedV1): boolean {
    const waiter = this.waiters.get(decision.txKey);
    if (waiter === undefined) return false;
    waiter.resolve(decision);
    return true;
  }

  get size(): number {
    return this.waiters.size;
  }
}
