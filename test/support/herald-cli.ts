import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI_MAIN, ensureBuilt } from './herald-build';
import { REPO_ROOT } from './herald-process';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `herald` CLI as a process (stdin, stdout and stderr are pipes, not a TTY). */
export function runHeraldCli(
  args: readonly string[],
  env: Record<string, string>,
  stdin = '',
): Promise<CliRun> {
  return run(process.execPath, [join(REPO_ROOT, CLI_MAIN), ...args], env, stdin);
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`, part of every Debian): its stdout and
 * stderr are a TTY; what it wrote to both comes back as `stdout`.
 */
export function runHeraldCliOnTty(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const command = [process.execPath, join(REPO_ROOT, CLI_MAIN), ...args].map(shellQuoted).join(' ');
  return run('script', ['--quiet', '--return', '--command', command, '/dev/null'], env, '');
}

function shellQuoted(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function run(
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  stdin: string,
): Promise<CliRun> {
  ensureBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: REPO_ROOT,
      // Only what the test gives: no HERALD_* of the developer's shell.
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
