// What the interop tests share about a real softphone run as a child process (linphonec,
// baresip): its output kept whole, waits on it, its SIP trace cut into messages, and a stop that
// kills it if it does not quit in time. The softphones talk only to 127.0.0.1.
import { type ChildProcessWithoutNullStreams, spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';

/** How long a softphone gets to quit before it is killed. */
const QUIT_GRACE_MS = 5_000;
/** Terminal colours baresip prints around its log lines. */
// eslint-disable-next-line no-control-regex -- ESC is exactly what it matches
export const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;

export class SoftphoneError extends Error {
  constructor(
    readonly code:
      'SOFTPHONE_TIMEOUT' | 'SOFTPHONE_EXITED' | 'SOFTPHONE_SCENARIO_FAILED' | 'SOFTPHONE_MISSING',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SoftphoneError';
  }
}

/**
 * The path of an installed client program. A missing one fails the test (never skips it):
 * scripts/ensure-test-programs.sh, which scripts/test.sh runs first, installs it.
 */
export function requireProgram(program: string, debianPackage: string): string {
  const which = spawnSync('which', [program], { encoding: 'utf8' });
  const path = which.stdout.trim();
  if (which.status !== 0 || path.length === 0) {
    throw new SoftphoneError(
      'SOFTPHONE_MISSING',
      `${program} is not installed (Debian package ${debianPackage}): run scripts/ensure-test-programs.sh`,
    );
  }
  return path;
}

/** One softphone process: `sipMessages` cuts its SIP trace out of its output. */
export abstract class SoftphoneProcess {
  private output = '';
  private readonly waiters = new Set<() => void>();
  private exited = false;

  protected constructor(
    /** `linphonec`, `baresip`: for messages. */
    readonly program: string,
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly home: string,
    readonly aor: string,
  ) {
    const append = (chunk: Buffer) => {
      this.output += chunk.toString('utf8').replace(ANSI_ESCAPE, '');
      for (const wake of [...this.waiters]) wake();
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    child.once('exit', () => {
      this.exited = true;
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** The SIP messages the softphone logged from output offset `from` on, each start line, headers and body. */
  abstract sipMessages(from?: number): string[];

  /** Asks the softphone to quit (it unregisters first). */
  protected abstract requestQuit(): void;

  /** Everything the softphone printed so far, colours removed. */
  get log(): string {
    return this.output;
  }

  /** Each logged SIP message in one line (start line and CSeq), for failures. */
  summary(): string {
    return this.sipMessages()
      .map((m) => `${m.split(/\r?\n/)[0]} (${/\nCSeq: ([^\r\n]+)/.exec(m)?.[1] ?? ''})`)
      .join('\n');
  }

  /** Runs `work`; a failure carries what the softphone saw, so it can be told from a Herald fault. */
  async explainFailures<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SoftphoneError(
        'SOFTPHONE_SCENARIO_FAILED',
        `${message}\n${this.program} saw:\n${this.summary()}`,
        { cause: error },
      );
    }
  }

  /** Resolves with the first logged SIP message from `from` on that `matches`. */
  async waitForMessage(matches: (message: string) => boolean, timeoutMs: number, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.sipMessages(from).find(matches);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new SoftphoneError(
          'SOFTPHONE_TIMEOUT',
          `no matching SIP message from ${this.program} in ${timeoutMs} ms`,
        );
      await this.nextOutput(left);
    }
  }

  /** Resolves with the first match of `pattern` in the output from `from` on. */
  async waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output.slice(from));
      if (match !== null) return match;
      if (this.exited)
        throw new SoftphoneError('SOFTPHONE_EXITED', `${this.program} exited before ${pattern}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new SoftphoneError(
          'SOFTPHONE_TIMEOUT',
          `no ${pattern} from ${this.program} in ${timeoutMs} ms`,
        );
      await this.nextOutput(left);
    }
  }

  /** Resolves at the next output or exit of the softphone, or after `timeoutMs`. */
  protected nextOutput(timeoutMs: number): Promise<void> {
    if (this.exited) throw new SoftphoneError('SOFTPHONE_EXITED', `${this.program} exited`);
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
    });
  }

  /** Quits, kills the softphone if it does not exit in time, removes its home. */
  async stop(): Promise<void> {
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.requestQuit();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), QUIT_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.home, { recursive: true, force: true });
  }

  protected writeStdin(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  protected signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** The version a client prints: the first capture of `pattern` in `program args`'s output. */
export function reportedVersion(path: string, args: string[], pattern: RegExp): string {
  const run = spawnSync(path, args, { encoding: 'utf8' });
  const version = pattern.exec(`${run.stdout}${run.stderr}`)?.[1];
  if (version === undefined)
    throw new SoftphoneError('SOFTPHONE_MISSING', `${path} ${args.join(' ')} printed no version`);
  return version;
}
