import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './herald-process';

const run = promisify(execFile);

/**
 * A Kafka broker or PostgreSQL server of one test file only (scripts/kafka.sh, scripts/postgres.sh),
 * so an outage test can pause it without disturbing the shared ones: SIGSTOP freezes every process
 * of the server (it stops answering but keeps its sockets, like a hung host), SIGCONT resumes it.
 */
export class PrivateServer {
  private constructor(
    private readonly script: 'kafka.sh' | 'postgres.sh',
    readonly stateDir: string,
    /** `host:port` for Kafka, the herald_test URL for PostgreSQL. */
    readonly address: string,
    private readonly pids: () => Promise<number[]>,
  ) {}

  /** A single-node KRaft broker on loopback. */
  static async kafka(): Promise<PrivateServer> {
    const stateDir = await mkdtemp(join(tmpdir(), 'herald-e2e-kafka-'));
    const address = await runScript('kafka.sh', 'start', stateDir);
    return new PrivateServer('kafka.sh', stateDir, address, async () => [
      await pidFrom(join(stateDir, 'pid')),
    ]);
  }

  /** PostgreSQL on loopback with an empty herald_test database. */
  static async postgres(): Promise<PrivateServer> {
    const stateDir = await mkdtemp(join(tmpdir(), 'herald-e2e-pg-'));
    const address = await runScript('postgres.sh', 'start', stateDir);
    return new PrivateServer('postgres.sh', stateDir, address, () => postgresPids(join(stateDir, 'data')));
  }

  async pause(): Promise<void> {
    for (const pid of await this.pids()) process.kill(pid, 'SIGSTOP');
  }

  async resume(): Promise<void> {
    for (const pid of await this.pids()) process.kill(pid, 'SIGCONT');
  }

  /** A crash (PostgreSQL's immediate shutdown, the broker's SIGKILL) and a restart on the same port. */
  async crashRestart(): Promise<void> {
    await runScript(this.script, 'crash-restart', this.stateDir);
  }

  /** Resumes (a stopped process ignores SIGTERM) and stops the server, deleting its state. */
  async stop(): Promise<void> {
    await this.resume();
    await runScript(this.script, 'stop', this.stateDir);
  }
}

async function runScript(script: string, command: string, stateDir: string): Promise<string> {
  const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts', script), command, stateDir], {
    cwd: REPO_ROOT,
  });
  return stdout.trim();
}

async function pidFrom(file: string): Promise<number> {
  return Number((await readFile(file, 'utf8')).split('\n')[0]);
}

/** The postmaster (first line of postmaster.pid) and its children: the backends and workers. */
export async function postgresPids(dataDirectory: string): Promise<number[]> {
  const postmaster = await pidFrom(join(dataDirectory, 'postmaster.pid'));
  const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(postmaster)]);
  return [
    postmaster,
    ...stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number),
  ];
}
