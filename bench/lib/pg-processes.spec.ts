import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { inKernel, PgProcessCpu, pgProcessCpuBetween, pgProcessShares, processKind } from './pg-processes';

/** A Node child that uses this much CPU time (not wall-clock time) and exits. */
const BURN_MS = 500;
const BURN = `const t0 = process.cpuUsage(); while ((process.cpuUsage(t0).user + process.cpuUsage(t0).system) / 1000 < ${BURN_MS});`;

describe('processKind', () => {
  it.each([
    ['postgres: checkpointer ', 'checkpointer'],
    ['postgres: background writer ', 'background writer'],
    ['postgres: walwriter ', 'walwriter'],
    ['postgres: autovacuum launcher ', 'autovacuum launcher'],
    ['postgres: autovacuum worker herald_test', 'autovacuum worker'],
    ['postgres: io worker 2', 'io worker'],
    ['postgres: herald: checkpointer ', 'checkpointer'],
    ['postgres: postgres herald_test 127.0.0.1(40122) idle', 'backends'],
    ['postgres: postgres herald [local] UPDATE', 'backends'],
  ])('%s is of kind %s', (title, kind) => {
    expect(processKind(title)).toBe(kind);
  });
});

describe('pgProcessShares', () => {
  it('gives idle ms per second before the window and ms per operation in it, by kind', () => {
    const shares = pgProcessShares(
      { backends: 100, checkpointer: 10 },
      { backends: 110, checkpointer: 60 },
      { backends: 1_110, checkpointer: 60, 'autovacuum worker': 300 },
      5,
      1_000,
    );
    expect(shares).toEqual({
      idleMsPerSecond: { backends: 2, checkpointer: 10 },
      msPerOp: { backends: 1, checkpointer: 0, 'autovacuum worker': 0.3 },
    });
  });
});

describe('PgProcessCpu', () => {
  it('counts a child that exited between readings once, as exited, besides its parent', async () => {
    // sh (standing in for the postmaster) runs the burning child to its end and reaps it.
    const shell = spawn(
      'sh',
      ['-c', `sleep 0.3; "${process.execPath}" -e "${BURN}"; echo done; exec sleep 30`],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const cpu = new PgProcessCpu(shell.pid as number);
    try {
      const before = cpu.sample();
      await once(shell.stdout, 'data');
      const used = pgProcessCpuBetween(before, cpu.sample());
      const total = Object.entries(used)
        .filter(([kind]) => !kind.endsWith(inKernel('')))
        .reduce((sum, [, ms]) => sum + ms, 0);
      expect(total).toBeGreaterThanOrEqual(BURN_MS - 20);
      // Node's own start-up adds tens of ms; a child counted twice (read and reaped) would not fit.
      expect(total).toBeLessThan(2 * BURN_MS);
      // Not a PostgreSQL title: a client backend; read while it ran, or only reaped.
      expect((used['backends'] ?? 0) + (used['exited since read'] ?? 0)).toBeGreaterThanOrEqual(BURN_MS - 20);
      // The kernel's share is a part of its kind's time (the loop's getrusage calls), not added to it.
      expect(used[inKernel('backends')] ?? 0).toBeLessThanOrEqual(used['backends'] ?? 0);
    } finally {
      cpu.close();
      shell.kill('SIGKILL');
      await once(shell, 'exit');
    }
  });
});
