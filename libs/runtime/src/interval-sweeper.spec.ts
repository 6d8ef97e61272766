import { Logger } from '@nestjs/common';
import { IntervalSweeper } from './interval-sweeper';

const INTERVAL_MS = 1_000;

/** A sweep that stays pending until the test settles it. */
class ControlledSweeper extends IntervalSweeper {
  sweeps = 0;
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor() {
    super(INTERVAL_MS, 'test sweep', new Logger('ControlledSweeper'));
  }

  protected sweep(): Promise<void> {
    this.sweeps += 1;
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  finish(): void {
    this.settle?.resolve();
  }

  fail(error: Error): void {
    this.settle?.reject(error);
  }
}

describe('IntervalSweeper', () => {
  afterEach(() => jest.useRealTimers());

  it('runs one sweep at a time: sweepNow during a sweep joins it', async () => {
    const sweeper = new ControlledSweeper();
    const first = sweeper.sweepNow();
    const second = sweeper.sweepNow();
    expect(second).toBe(first);
    sweeper.finish();
    await first;
    expect(sweeper.sweeps).toBe(1);
    const third = sweeper.sweepNow();
    sweeper.finish();
    await third;
    expect(sweeper.sweeps).toBe(2);
  });

  it('sweeps every interval after bootstrap and stops at shutdown', async () => {
    jest.useFakeTimers();
    const sweeper = new ControlledSweeper();
    sweeper.onApplicationBootstrap();
    jest.advanceTimersByTime(INTERVAL_MS);
    expect(sweeper.sweeps).toBe(1);
    sweeper.finish();
    await Promise.resolve();
    await sweeper.onApplicationShutdown();
    jest.advanceTimersByTime(3 * INTERVAL_MS);
    expect(sweeper.sweeps).toBe(1);
  });

  it('logs a failed tick, rejects sweepNow to its caller, and shuts down after a failure', async () => {
    jest.useFakeTimers();
    const sweeper = new ControlledSweeper();
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    sweeper.onApplicationBootstrap();
    jest.advanceTimersByTime(INTERVAL_MS);
    const shutdown = sweeper.onApplicationShutdown();
    sweeper.fail(new Error('database gone'));
    await expect(shutdown).resolves.toBeUndefined();
    expect(logged).toHaveBeenCalledWith(
      {
        code: 'SWEEP_FAILED',
        sweep: 'test sweep',
        err: expect.objectContaining({ message: 'database gone' }),
      },
      'test sweep failed; the next tick retries',
    );
    const direct = sweeper.sweepNow();
    sweeper.fail(new Error('still gone'));
    await expect(direct).rejects.toThrow('still gone');
    logged.mockRestore();
  });
});
