import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The checkout's root (test/support is two levels down). */
export const REPO_ROOT = join(__dirname, '..', '..');
/** How long a stopping process may take after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 15_000;

export class HeraldProcessError extends Error {
  readonly code = 'HERALD_PROCESS_FAILED';
}

/** One Herald app (`node dist/apps/<app>/src/main.js`) as a child process, its output kept for waits and reports. */
export class HeraldProcess {
  private output = '';
  private readonly exit: Promise<number | null>;
  private exitCode: number | null | undefined;
  private listeners: (() => void)[] = [];
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    script: string,
    env: Readonly<Record<string, string>>,
  ) {
    this.child = spawn(process.execPath, [join(REPO_ROOT, script)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      for (const notify of this.listeners.splice(0)) notify();
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exit = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.exitCode = code;
        for (const notify of this.listeners.splice(0)) notify();
        resolve(code);
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Everything it printed so far (stdout and stderr). */
  get log(): string {
    return this.output;
  }

  /** Every output line as the JSON object it must be (the log pipeline); throws naming the first that is not. */
  logEntries(): Record<string, unknown>[] {
    return this.output
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new HeraldProcessError(`${this.name} wrote a line that is not JSON: ${line}`);
        }
      });
  }

  /** The first output line for which `parse` returns a value; fails if the process exits first. */
  async waitForLine<T>(parse: (line: string) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.output.split('\n')) {
        const found = parse(line);
        if (found !== undefined) return found;
      }
      if (!this.running) {
        throw new HeraldProcessError(
          `${this.name} exited (${this.exitCode}) before ${what}:\n${this.tail()}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new HeraldProcessError(`${this.name}: no ${what} within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves with the exit code (null when killed). */
  async stop(): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: the process dies without any shutdown (a crashed pod). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }

  /** The last lines of its output, for failure messages. */
  tail(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }
}
