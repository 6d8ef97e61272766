import { PublishDecidedV1, RegisterDecidedV1, SubscribeDecidedV1 } from '#herald/contracts';
import { Clock } from '#herald/sip';

/** A service's final answer for a server transaction the edge holds open (REGISTER, PUBLISH, SUBSCRIBE). */
export type EdgeDecision = RegisterDecidedV1 | PublishDecidedV1 | SubscribeDecidedV1;
export type DecisionOf<T extends EdgeDecision['type']> = Extract<EdgeDecision, { type: T }>;

interface Waiter {
  type: EdgeDecision['type'];
  resolve(decision: EdgeDecision | undefined): void;
}

/**
 * Server transactions waiting for a service's decision (`register.decided`, `publish.decided`),
 * matched by txKey and type. A waiter resolves with the decision, or with undefined when the
 * timeout passes first.
 */
export class PendingDecisions {
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly clock: Clock) {}

  /** Registers the wait BEFORE publishing, so a fast decision is never missed. */
  wait<T extends EdgeDecision['type']>(
    type: T,
    txKey: string,
    timeoutMs: number,
  ): { decision: Promise<DecisionOf<T> | undefined>; cancel(): void } {
    let settle: (decision: DecisionOf<T> | undefined) => void = () => undefined;
    const decision = new Promise<DecisionOf<T> | undefined>((resolve) => {
      settle = resolve;
    });
    const timer = this.clock.setTimer(timeoutMs, () => finish(undefined));
    const finish = (value: EdgeDecision | undefined): void => {
      this.clock.clearTimer(timer);
      if (this.waiters.get(txKey) === waiter) this.waiters.delete(txKey);
      // resolve() hands over only a decision of the waiter's type.
      settle(value as DecisionOf<T> | undefined);
    };
    const waiter: Waiter = { type, resolve: finish };
    this.waiters.set(txKey, waiter);
    return { decision, cancel: () => finish(undefined) };
  }

  /** Hands a decision to its waiter; false when none waits (timed out, or another edge process). */
  resolve(decision: EdgeDecision): boolean {
    const waiter = this.waiters.get(decision.txKey);
    if (waiter === undefined || waiter.type !== decision.type) return false;
    waiter.resolve(decision);
    return true;
  }

  get size(): number {
    return this.waiters.size;
  }
}
