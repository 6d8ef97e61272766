import type { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

/** Runs `sweep` every `intervalMs` while the application is up, one sweep at a time. */
export abstract class IntervalSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  protected constructor(
    private readonly intervalMs: number,
    /** `registration sweep`: names the sweep in its failure log. */
    private readonly sweepName: string,
    protected readonly logger: Logger,
  ) {}

  /** One sweep; rejects when it failed (what it did not finish, the next sweep retries). */
  protected abstract sweep(): Promise<void>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // A failing sweep was already logged by tick() or rejected to the sweepNow() caller.
    await this.running?.catch(() => undefined);
  }

  /** Sweeps now unless a sweep is still running; resolves when this sweep is done. */
  sweepNow(): Promise<void> {
    this.running ??= this.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private tick(): void {
    this.sweepNow().catch((error: unknown) => {
      this.logger.error(
        { code: 'SWEEP_FAILED', sweep: this.sweepName, err: error },
        `${this.sweepName} failed; the next tick retries`,
      );
    });
  }
}
