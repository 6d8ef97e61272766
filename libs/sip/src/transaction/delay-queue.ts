import type { TimerHandle } from './clock';

/**
 * Node runs timers at millisecond granularity from its loop's clock, which can be up to a
 * millisecond behind `performance.now()`: a timer is due once the millisecond it falls in has come.
 */
const TIMER_GRANULARITY_MS = 1;
/** Cleared timers a queue holds before it sheds them (and only when they outnumber its live ones). */
const COMPACT_AFTER_CLEARED = 1024;

/** A timer of a DelayQueue: its callback until it fires or is cleared. */
export class QueuedTimer implements TimerHandle {
  constructor(
    readonly timerId: number,
    /** `performance.now()` at which it is due. */
    readonly dueAt: number,
    public callback: (() => void) | undefined,
    readonly queue: DelayQueue,
  ) {}
}

/**
 * The timers of one delay. Set with the same delay on a monotonic clock, they fall due in the order
 * they were set, so one Node timer armed for the earliest live one serves them all: setting a timer
 * is an append and clearing one a flag, where a Node timer each cost ~3,000 and ~1,500 instructions
 * (a Timeout, its async id, a list insert, and for a delay with no other timer pending a list and a
 * priority-queue entry of its own: Timer E's case, set and cleared per push). The Node timer is
 * referenced while a timer is live, as each Node timer was (a pending transaction keeps the process).
 */
export class DelayQueue {
  private timers: QueuedTimer[] = [];
  /** Index of the first timer not yet fired or skipped. */
  private head = 0;
  private live = 0;
  private timeout: NodeJS.Timeout | undefined;
  private firing = false;

  constructor(
    readonly delayMs: number,
    /** Called when a pass found nothing left to wait for: the queue holds no timer and no Node timer. */
    private readonly onIdle: (queue: DelayQueue) => void,
  ) {}

  add(timerId: number, callback: () => void): QueuedTimer {
    const timer = new QueuedTimer(timerId, performance.now() + this.delayMs, callback, this);
    this.timers.push(timer);
    this.live++;
    if (this.timeout === undefined) this.timeout = setTimeout(this.fire, this.delayMs);
    else if (this.live === 1) this.timeout.ref();
    return timer;
  }

  clear(timer: QueuedTimer): void {
    if (timer.callback === undefined) return;
    timer.callback = undefined;
    this.live--;
    if (this.firing) return; // the pass tidies up once its callbacks have run
    if (this.live === 0) {
      // Nothing left to wait for: the armed Node timer finds nothing when it fires, and holds nothing.
      this.timeout?.unref();
      this.timers = [];
      this.head = 0;
    } else if (this.timers.length - this.head > COMPACT_AFTER_CLEARED + 2 * this.live) {
      this.timers = this.timers.slice(this.head).filter((pending) => pending.callback !== undefined);
      this.head = 0;
    }
  }

  /** Timers set and neither fired nor cleared. */
  get size(): number {
    return this.live;
  }

  /**
   * Runs every live timer due, in the order set; timers their callbacks set wait for the next pass,
   * as with Node's own timers. Then arms the Node timer for the next live one, if any.
   */
  private readonly fire = (): void => {
    const now = performance.now();
    const end = this.timers.length;
    this.firing = true;
    try {
      for (; this.head < end; this.head++) {
        const timer = this.timers[this.head];
        const callback = timer.callback;
        if (callback === undefined) continue;
        if (timer.dueAt >= now + TIMER_GRANULARITY_MS) break;
        timer.callback = undefined;
        this.live--;
        callback();
      }
    } finally {
      this.firing = false;
      this.rearm();
    }
  };

  private rearm(): void {
    while (this.head < this.timers.length && this.timers[this.head].callback === undefined) this.head++;
    if (this.live === 0) {
      this.timers = [];
      this.head = 0;
      this.timeout = undefined;
      this.onIdle(this);
      return;
    }
    const wait = Math.max(TIMER_GRANULARITY_MS, Math.ceil(this.timers[this.head].dueAt - performance.now()));
    this.timeout = setTimeout(this.fire, wait);
  }
}
