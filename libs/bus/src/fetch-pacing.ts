/** Finishes of runs closer together than this are one burst: the end of one group of the handler. */
const BURST_MS = 1;
/** Weight of the newest sample in the running estimates of a group's and a fetch's duration. */
const ESTIMATE_WEIGHT = 0.2;

/**
 * Counts a consumer's runs in progress, wakes whoever waits for them (a fetch waiting for room, a
 * stop), and paces its fetches. A service's handler commits in groups, one at a time
 * (GroupCommit): the records fetched while a group runs wait for the next group, which starts the
 * moment the running one ends. Fetching again at once after every fetch would cost one Kafka
 * request per record or two; fetching once the running group ended (session 7) made the records
 * that came meanwhile miss the next group, already started, and wait for a whole group more. So a
 * consumer with runs in progress fetches once per group, a fetch's round trip before the group
 * in progress is expected to end (the groups' duration so far), its records in hand when the next
 * group starts; and once the group ended, at once, when no fetch went ahead during it.
 */
export class FetchPacing {
  /** Fetches waiting for room (next): woken whenever records were handled. */
  private roomWaiters: Array<() => void> = [];
  /** Fetches being paced: woken only when a group ends, every run finished, or the consumer stops. */
  private pacedWaiters: Array<() => void> = [];
  /** Runs of the consumer being handled (a run retried in place included). */
  private runs = 0;
  /** When the group in progress started: the last burst of finishes while runs stayed in progress. */
  private groupStartedAt: number | undefined;
  /** The group in progress started at groupStartedAt, during which a fetch went ahead. */
  private fetchedAheadOf: number | undefined;
  /** Running estimate of how long one group takes, between two bursts of finishes. */
  private groupMs: number | undefined;
  /** Running estimate of a fetch: from its release to its records in hand. */
  private fetchMs = 0;
  private releasedAt: number | undefined;

  /**
   * @param maxMs the longest a consumer with runs in progress waits before it fetches again, after
   * the last group ended or the wait began: a run retried in place holds only its own key.
   */
  constructor(
    private readonly maxMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves the next time records were handled (or the consumer stops). */
  next(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Counts `run` as in progress until it settles, then wakes the waiters. */
  async running<T>(run: Promise<T>): Promise<T> {
    this.runs += 1;
    try {
      return await run;
    } finally {
      this.runs -= 1;
      if (this.finished()) this.pacedWaiters = wakeAll(this.pacedWaiters);
      this.handled();
    }
  }

  /** A fetch's records came: how long fetching took since the pacing let it go. */
  fetched(): void {
    if (this.releasedAt === undefined) return;
    // A fetch that found nothing waited on the broker for the next record: not its own cost.
    this.fetchMs = estimate(this.fetchMs, Math.min(this.now() - this.releasedAt, this.maxMs));
    this.releasedAt = undefined;
  }

  /**
   * Resolves when the consumer should fetch again: at once with no run in progress; else a fetch
   * before the group in progress is expected to end, or when it ended if no fetch went ahead
   * during it; at the latest `maxMs` after the last group ended or the wait began, or on `signal`.
   */
  async paced(signal: AbortSignal): Promise<void> {
    let deadline = this.now() + this.maxMs;
    for (;;) {
      if (this.runs === 0 || signal.aborted) return this.release();
      const group = this.groupStartedAt;
      const aheadAt = this.fetchAheadAt();
      const woken = await this.wokenWithin(Math.min(deadline, aheadAt ?? deadline) - this.now());
      if (!woken) {
        this.fetchedAheadOf = this.groupStartedAt;
        return this.release();
      }
      if (this.groupStartedAt === group) continue;
      // A group ended. Fetch now unless a fetch went ahead during it: its records are in the new
      // group, and this one waits for the new group's end.
      if (group === undefined || this.fetchedAheadOf !== group) return this.release();
      deadline = this.now() + this.maxMs;
    }
  }

  /** Records were handled: wakes the fetches waiting for room. */
  handled(): void {
    this.roomWaiters = wakeAll(this.roomWaiters);
  }

  /** The consumer stops: wakes every waiter. */
  wake(): void {
    this.handled();
    this.pacedWaiters = wakeAll(this.pacedWaiters);
  }

  /** When to fetch ahead of the group in progress, if not done yet and still ahead of its end. */
  private fetchAheadAt(): number | undefined {
    const started = this.groupStartedAt;
    if (started === undefined || this.groupMs === undefined || this.fetchedAheadOf === started)
      return undefined;
    const at = started + this.groupMs - this.fetchMs;
    return at > this.now() ? at : undefined;
  }

  /** True when woken, false once `ms` passed. */
  private wokenWithin(ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.pacedWaiters = this.pacedWaiters.filter((waiter) => waiter !== woken);
        resolve(false);
      }, ms);
      const woken = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.pacedWaiters.push(woken);
    });
  }

  /**
   * A run finished: the first of a burst ends the group in progress while others remain in
   * progress. True when a group ended or no run is left in progress.
   */
  private finished(): boolean {
    if (this.runs === 0) {
      this.groupStartedAt = undefined;
      return true;
    }
    const now = this.now();
    const started = this.groupStartedAt;
    if (started !== undefined && now - started < BURST_MS) return false;
    if (started !== undefined) this.groupMs = estimate(this.groupMs, now - started);
    this.groupStartedAt = now;
    return true;
  }

  private release(): void {
    this.releasedAt = this.now();
  }
}

/** Resolves every waiter; returns the empty list that replaces them. */
function wakeAll(waiters: ReadonlyArray<() => void>): Array<() => void> {
  waiters.forEach((resolve) => resolve());
  return [];
}

function estimate(current: number | undefined, sample: number): number {
  return current === undefined ? sample : current + ESTIMATE_WEIGHT * (sample - current);
}
