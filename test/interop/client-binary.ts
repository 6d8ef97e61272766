// The real SIP client programs of the interop matrix (docs/interop.md): found on PATH or the test
// fails saying which Debian package to install (scripts/test.sh installs them), never skipped.
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a client run left behind: how it ended and everything it printed. */
export interface ClientRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** The path of `command`; throws naming the Debian package when it is not installed. */
export function requireClient(command: string, debianPackage: string): string {
  const which = spawnSync('which', [command], { encoding: 'utf8' });
  const path = which.stdout.trim();
  if (which.status !== 0 || path === '') {
    throw new Error(
      `${command} is not installed: the interop matrix needs the Debian package ${debianPackage} ` +
        '(scripts/test.sh installs it)',
    );
  }
  return path;
}

/** The version the binary reports about itself: group 1 of `pattern` in what `path args` prints. */
export function reportedVersion(path: string, args: readonly string[], pattern: RegExp): string {
  const run = spawnSync(path, args, { encoding: 'utf8', timeout: 10_000 });
  const printed = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const version = pattern.exec(printed)?.[1];
  if (version === undefined) {
    throw new Error(`${path} ${args.join(' ')} printed no version matching ${pattern}:\n${printed}`);
  }
  return version;
}

/** Runs a client to its end in `cwd`; one still running after `timeoutMs` is killed (and says so). */
export function runClient(
  path: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number },
): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n[test: ${path} still running after ${options.timeoutMs} ms, killed]\n`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, output });
    });
  });
}

/** A UDP port on 127.0.0.1 that nothing uses now, for a client that must be told its own port. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Asserts the run exited 0; on failure the report shows everything the client printed. */
export function expectExitedZero(run: ClientRun): void {
  expect({ exitCode: run.exitCode, output: run.output }).toEqual({ exitCode: 0, output: run.output });
}

/** A fresh directory under /tmp for each test of the enclosing describe (logs, CSVs), removed after it. */
export function workDirectoryPerTest(prefix: string): () => string {
  let work: string | undefined;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
    work = undefined;
  });
  return () => {
    if (work === undefined) throw new Error('no work directory outside a test');
    return work;
  };
}
