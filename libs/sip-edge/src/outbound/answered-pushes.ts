/** How long the edge remembers that a device answered a push: past an im-router crash's redelivery. */
export const ANSWERED_PUSH_MEMORY_MS = 10 * 60_000;
/** Most push ids remembered (about 100 bytes each); beyond it the oldest are forgotten first. */
export const ANSWERED_PUSH_MEMORY_MAX = 100_000;

/**
 * Push ids this edge's devices answered 2xx recently, with the status. A service that sends a push
 * again under the same id (im-router, after a crash rolled back the transaction that recorded a
 * delivery it had already published) gets the answer again without the device getting the
 * request twice: a plain SIP device cannot drop a repeated IM. Ids that are never repeated just
 * age out.
 */
export class AnsweredPushes {
  /** In the order they were answered (a Map keeps insertion order): the oldest first. */
  private readonly answered = new Map<string, { status: number; at: number }>();

  constructor(
    private readonly memoryMs = ANSWERED_PUSH_MEMORY_MS,
    private readonly maxEntries = ANSWERED_PUSH_MEMORY_MAX,
    private readonly now: () => number = Date.now,
  ) {}

  remember(pushId: string, status: number): void {
    this.answered.delete(pushId);
    this.answered.set(pushId, { status, at: this.now() });
    this.forgetOld();
  }

  /**
   * The 2xx status the push was answered with, if it was answered within the memory. Asked for
   * every push: it reads the one entry (pruning here cost an iterator per push, ~1 % of the edge's
   * CPU per IM); `remember` prunes.
   */
  statusOf(pushId: string): number | undefined {
    const answer = this.answered.get(pushId);
    return answer !== undefined && answer.at >= this.now() - this.memoryMs ? answer.status : undefined;
  }

  private forgetOld(): void {
    const oldest = this.now() - this.memoryMs;
    for (const [pushId, { at }] of this.answered) {
      if (this.answered.size <= this.maxEntries && at >= oldest) return;
      this.answered.delete(pushId);
    }
  }
}
