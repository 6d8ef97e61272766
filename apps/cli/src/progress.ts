/** Where progress goes: a terminal redraws one line, anything else gets a plain line per step. */
export interface ProgressOutput {
  isTTY: boolean;
  columns?: number;
  write(text: string): void;
}

const BAR_WIDTH = 30;

/**
 * A progress bar on a TTY (`[#####-----] 120/500 24%` redrawn in place), plain lines otherwise
 * (`imported 120/500`), so a log file or CI output gets readable lines and no control codes.
 */
export class Progress {
  private done = 0;

  constructor(
    private readonly output: ProgressOutput,
    private readonly total: number,
    private readonly label: string,
  ) {}

  advance(count: number): void {
    this.done = Math.min(this.total, this.done + count);
    if (!this.output.isTTY) {
      this.output.write(`${this.label} ${this.done}/${this.total}\n`);
      return;
    }
    const ratio = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(ratio * BAR_WIDTH);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
    this.output.write(`\r[${bar}] ${this.done}/${this.total} ${Math.floor(ratio * 100)}%`);
  }

  /** Ends the bar's line on a TTY, so what follows starts on a line of its own. */
  finish(): void {
    if (this.output.isTTY) this.output.write('\n');
  }
}
