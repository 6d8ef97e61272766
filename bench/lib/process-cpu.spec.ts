import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpuBetween, ProcessCpuError, ProcessTreeCpu } from './process-cpu';

/** A Node child that uses this much CPU time (not wall-clock time) and exits. */
const BURN_MS = 300;
const BURN = `const t0 = process.cpuUsage(); while ((process.cpuUsage(t0).user + process.cpuUsage(t0).system) / 1000 < ${BURN_MS});`;

describe('ProcessTreeCpu', () => {
  it('counts a child that already exited in its parent tree (cutime), once', async () => {
    // sh runs the burning child to its end (and reaps it), says so, then becomes a sleep to be killed.
    const shell = spawn('sh', ['-c', `"${process.execPath}" -e "${BURN}"; echo done; exec sleep 30`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const cpu = new ProcessTreeCpu([
        { name: 'shell', rootPid: shell.pid as number },
        { name: 'jest', rootPid: process.pid },
      ]);
      const before = cpu.sample();
      await once(shell.stdout, 'data');
      const used = cpuBetween(before, cpu.sample());
      expect(used['shell']).toBeGreaterThanOrEqual(BURN_MS - 20);
      // Node's own start-up adds some; a child counted twice or in the wrong group would not fit.
      expect(used['shell']).toBeLessThan(BURN_MS + 2_000);
    } finally {
      shell.kill('SIGKILL');
      await once(shell, 'exit');
    }
  });

  it('refuses a group whose root process is not running', () => {
    const cpu = new ProcessTreeCpu([{ name: 'gone', rootPid: 2 ** 22 + 1 }]);
    expect(() => cpu.sample()).toThrow(ProcessCpuError);
  });
});
