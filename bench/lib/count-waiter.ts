/** A count of events, and one waiter at a time for it to reach a number (no polling). */
export class CountWaiter {
  private count = 0;
  private waiter: (() => void) | undefined;

  increment(): void {
    this.count++;
    this.waiter?.();
  }

  /** Resolves once the count reached `count`. */
  whenReached(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.count < count) return;
        this.waiter = undefined;
        resolve();
      };
      this.waiter = check;
      check();
    });
  }
}
