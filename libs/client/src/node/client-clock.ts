import { type Clock, SystemClock, type TimerHandle } from '../../../sip/src/transaction/clock';

/**
 * A SIP client's transaction clock: real timers, all cancelled when the flow is gone. The
 * transactions of a closed or lost flow would otherwise keep Timer F (64*T1, 32 s by default) or
 * Timer K (T4) running after the client closed, holding the process open.
 */
export class ClientClock implements Clock {
  private readonly system = new SystemClock();
  private readonly pending = new Set<TimerHandle>();

  now(): number {
    return this.system.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const handle = this.system.setTimer(delayMs, () => {
      this.pending.delete(handle);
      callback();
    });
    this.pending.add(handle);
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    this.system.clearTimer(handle);
    this.pending.delete(handle);
  }

  /** Timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.pending.size;
  }

  /** Cancels every pending timer: the transactions they belong to end with the flow. */
  clearAll(): void {
    for (const handle of this.pending) this.system.clearTimer(handle);
    this.pending.clear();
  }
}
