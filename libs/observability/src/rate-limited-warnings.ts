import type { Logger } from 'pino';

/** Where the lines go: anything that writes a warning with a stable code (the edge's EdgeLogger, codedWarner). */
export interface CodedWarner {
  warn(code: string, message: string, fields: Readonly<Record<string, unknown>>): void;
}

/**
 * Warnings that can come in floods (a restarted edge drops every push of its previous process's
 * flows), written at most once per interval per code: the first at once, a later one only once
 * the interval since the last line of its code has passed, with `suppressed`: how many of that
 * code were left out since. Count the events with a metric: the lines are a sample.
 */
export class RateLimitedWarnings {
  private readonly lastLineAt = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly logger: CodedWarner,
    private readonly intervalMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  warn(code: string, message: string, fields: Readonly<Record<string, unknown>>): void {
    const at = this.now();
    const last = this.lastLineAt.get(code);
    if (last !== undefined && at - last < this.intervalMs) {
      this.suppressed.set(code, (this.suppressed.get(code) ?? 0) + 1);
      return;
    }
    this.lastLineAt.set(code, at);
    const suppressed = this.suppressed.get(code) ?? 0;
    this.suppressed.delete(code);
    this.logger.warn(code, message, suppressed > 0 ? { ...fields, suppressed } : fields);
  }
}

/** A pino logger as a CodedWarner: the code goes into the line's `code` field. */
export function codedWarner(logger: Logger): CodedWarner {
  return { warn: (code, message, fields) => logger.warn({ ...fields, code }, message) };
}
