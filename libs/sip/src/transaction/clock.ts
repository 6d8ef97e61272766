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

/** A Node timer as a handle: clearing it needs nothing but the Timeout it holds. */
class SystemTimer implements TimerHandle {
  constructor(
    readonly timerId: number,
    readonly timeout: NodeJS.Timeout,
  ) {}
}

/**
 * The real clock: wall time and Node timers. The handle holds its Timeout, so a timer costs no
 * table entry and no wrapping closure (every transaction sets two or three: ~1 % of the edge's CPU
 * per IM went to the table).
 */
export class SystemClock implements Clock {
  private nextId = 1;

  now(): number {
    return Date.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    return new SystemTimer(this.nextId++, setTimeout(callback, delayMs));
  }

  clearTimer(handle: TimerHandle): void {
    if (handle instanceof SystemTimer) clearTimeout(handle.timeout);
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
