interface Held<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Holds items (publishes nobody waits on at once) for up to `lingerMs` from the first one held,
 * then passes them on together, so they join one produce instead of each starting its own. An
 * item that may not wait releases the held ones first (`release`): they ride along in its batch
 * and keep their place ahead of it. Each held item settles as its pass settles.
 */
export class ProduceLinger<T> {
  private held: Held<T>[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lingerMs: number,
    private readonly pass: (item: T) => Promise<void>,
  ) {}

  hold(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.held.push({ item, resolve, reject });
      this.timer ??= setTimeout(() => this.release(), this.lingerMs);
    });
  }

  /** Passes every held item on now, in the order held. */
  release(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.held;
    this.held = [];
    for (const { item, resolve, reject } of held) this.pass(item).then(resolve, reject);
  }
}
