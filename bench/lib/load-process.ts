import { type ChildProcess, fork } from 'node:child_process';

/**
 * One socket per device and a file-descriptor limit of 20,000 per process: each load process holds
 * at most this many, bound to its own 127.0.0.x (so 28,000 ephemeral ports per address suffice).
 */
export const DEVICES_PER_PROCESS = 16_000;
/** Load process k binds 127.0.0.(FIRST_HOST + k): loopback only. */
const FIRST_HOST = 2;

export function loadProcessAddress(index: number): string {
  return `127.0.0.${FIRST_HOST + index}`;
}

/**
 * One load process: this same script run again with `--worker k`, commanded over IPC, one report
 * per command. The script's worker side answers each command with process.send(report).
 */
export class LoadProcess<Command, Report> {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(
    readonly index: number,
    argv: readonly string[],
  ) {
    this.child = fork(argv[1] ?? '', [...argv.slice(2), '--worker', String(index)], { stdio: 'inherit' });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  send(command: Command): Promise<Report> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`load process ${this.index} exited`));
      this.child.once('exit', onExit);
      this.child.once('message', (report: Report) => {
        this.child.off('exit', onExit);
        resolve(report);
      });
      this.child.send(command as object);
    });
  }

  /** Sends the command that makes the worker close its devices and exit, and waits for the exit. */
  async close(closeCommand: Command): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.send(closeCommand).catch(() => undefined);
    await this.exited;
  }
}
