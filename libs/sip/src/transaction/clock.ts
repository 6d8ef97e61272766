import { DelayQueue, QueuedTimer } from './delay-queue';

/** Opaque handle of a scheduled timer. */
export interface TimerHandle {
  readonly timerId: number;
}

/** Time source for transactions, so tests can drive RFC 3261 timers without waiting. */
export interface Clock {
  now(): number;
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/**
 * The real clock: wall time, and timers in one DelayQueue per delay (a transaction's timers have a
 * few fixed delays: T1, 64*T1, T4), each under one Node timer. The handle holds its queue, so
 * clearing a timer needs no table.
 */
export class SystemClock implements Clock {
  private readonly queues = new Map<number, DelayQueue>();
  private readonly forgetQueue = (queue: DelayQueue): void => {
    this.queues.delete(queue.delayMs);
  };
  private nextId = 1;

  now(): number {
    return Date.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const delay = Math.max(0, delayMs);
    let queue = this.queues.get(delay);
    if (queue === undefined) {
      queue = new DelayQueue(delay, this.forgetQueue);
      this.queues.set(delay, queue);
    }
    return queue.add(this.nextId++, callback);
  }

  clearTimer(handle: TimerHandle): void {
    if (handle instanceof QueuedTimer) handle.queue.clear(handle);
  }
}

interface FakeTimer {
  dueAt: number;
  callback: () => void;
}

/** A manual clock: time moves only through `advance`, firing due timers in order. */
export class FakeClock implements Clock {
  private readonly timers = new Map<number, FakeTimer>();
  private nextId = 1;

  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timerId = this.nextId++;
    this.timers.set(timerId, { dueAt: this.current + Math.max(0, delayMs), callback });
    return { timerId };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.timerId);
  }

  /** Moves time forward, running every timer due on the way (including ones they schedule). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let next = this.nextDue(target); next !== undefined; next = this.nextDue(target)) {
      const [timerId, timer] = next;
      this.timers.delete(timerId);
      this.current = timer.dueAt;
      timer.callback();
    }
    this.current = target;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  private nextDue(limit: number): [number, FakeTimer] | undefined {
    let earliest: [number, FakeTimer] | undefined;
    for (const entry of this.timers) {
      if (entry[1].dueAt <= limit && (earliest === undefined || entry[1].dueAt < earliest[1].dueAt))
        earliest = entry;
    }
    return earliest;
  }
}
