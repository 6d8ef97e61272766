import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux/x86). */
export const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export class ProcessCpuError extends Error {
  readonly code = 'BENCH_PROCESS_CPU';
}

interface ProcStat {
  ppid: number;
  /**
   * utime + stime (all threads, exited ones too) + cutime + cstime (children this process has
   * reaped, each with its own reaped children): a tree's CPU is the sum of this over its live
   * members, so a PostgreSQL backend that exited is still counted, in its postmaster's cutime.
   */
  ticks: number;
}

/** Every live process's parent and CPU ticks, from /proc/<pid>/stat (proc(5)). */
function readProcStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch (error) {
      // The process exited between the directory read and this one: its parent's cutime has it.
      if (
        (error as NodeJS.ErrnoException).code === 'ENOENT' ||
        (error as NodeJS.ErrnoException).code === 'ESRCH'
      )
        continue;
      throw error;
    }
    // comm (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
    stats.set(Number(entry), {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
    });
  }
  return stats;
}

/** A named group of processes: a root process and all its descendants. */
export interface ProcessGroup {
  name: string;
  rootPid: number;
}

/** CPU milliseconds per group at one instant. */
export type CpuSample = Record<string, number>;

/**
 * Samples the CPU time (user + system) of process trees from /proc. Each process counts in the
 * first group (in the given order) whose tree holds it, so a group listed earlier (e.g. the
 * postmaster started by the embedded Herald) is left out of a later one (the Herald process).
 */
export class ProcessTreeCpu {
  constructor(readonly groups: readonly ProcessGroup[]) {}

  sample(): CpuSample {
    const stats = readProcStats();
    const children = new Map<number, number[]>();
    for (const [pid, stat] of stats) {
      const siblings = children.get(stat.ppid);
      if (siblings === undefined) children.set(stat.ppid, [pid]);
      else siblings.push(pid);
    }
    const claimed = new Set<number>();
    const sample: CpuSample = {};
    for (const group of this.groups) {
      if (!stats.has(group.rootPid)) {
        throw new ProcessCpuError(`${group.name} (pid ${group.rootPid}) is not running`);
      }
      let ticks = 0;
      const pending = [group.rootPid];
      while (pending.length > 0) {
        const pid = pending.pop() as number;
        if (claimed.has(pid)) continue;
        claimed.add(pid);
        ticks += stats.get(pid)?.ticks ?? 0;
        pending.push(...(children.get(pid) ?? []));
      }
      sample[group.name] = (ticks * 1000) / TICKS_PER_SECOND;
    }
    return sample;
  }
}

/** CPU milliseconds each group used from `before` to `after`. */
export function cpuBetween(before: CpuSample, after: CpuSample): CpuSample {
  return Object.fromEntries(Object.entries(after).map(([name, ms]) => [name, ms - (before[name] ?? 0)]));
}

/** The pid in the first line of a PostgreSQL data directory's postmaster.pid. */
export function postmasterPid(dataDirectory: string): number {
  const pid = Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new ProcessCpuError(`no postmaster pid in ${dataDirectory}/postmaster.pid`);
  }
  return pid;
}
