import { Clock, TimerHandle } from '#herald/sip';

/** The device a flow got bound to. */
export interface BoundDevice {
  aor: string;
  deviceId: string;
}

interface Waiter {
  resolve: (device: BoundDevice | undefined) => void;
  timer: TimerHandle;
}

/**
 * Pushes waiting for their UDP flow to be bound in this process. A UDP flow is only a source
 * address: when this process holds no registration on it (the registration was made through a
 * previous process under the same edge id, or it lapsed here), whoever holds that address now may
 * be another user's device. The push waits for the flow's next REGISTER (a refresh) to say which
 * device is there, at most `waitMs` (a push transaction's life, Timer F), so a live device still
 * gets it and no other device does.
 */
export class FlowBindWaits {
  private readonly waiting = new Map<string, Waiter[]>();

  constructor(
    private readonly clock: Clock,
    private readonly waitMs: number,
  ) {}

  /** Resolves with the device the flow gets bound to, or undefined when none is within `waitMs`. */
  wait(flowId: string): Promise<BoundDevice | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: this.clock.setTimer(this.waitMs, () => {
          this.forget(flowId, waiter);
          resolve(undefined);
        }),
      };
      const waiters = this.waiting.get(flowId);
      if (waiters === undefined) this.waiting.set(flowId, [waiter]);
      else waiters.push(waiter);
    });
  }

  /** The flow got bound (FlowRegistry.bind): its waiters go on, in the order they came. */
  bound(flowId: string, device: BoundDevice): void {
    const waiters = this.waiting.get(flowId);
    if (waiters === undefined) return;
    this.waiting.delete(flowId);
    for (const waiter of waiters) {
      this.clock.clearTimer(waiter.timer);
      waiter.resolve(device);
    }
  }

  private forget(flowId: string, waiter: Waiter): void {
    const waiters = this.waiting.get(flowId);
    if (waiters === undefined) return;
    const remaining = waiters.filter((other) => other !== waiter);
    if (remaining.length === 0) this.waiting.delete(flowId);
    else this.waiting.set(flowId, remaining);
  }
}
