import { readFileSync } from 'node:fs';
import { TICKS_PER_SECOND } from './process-cpu';

/**
 * How often the PostgreSQL processes are read: an autovacuum worker may live well under a second,
 * and what a child used after its last reading shows as EXITED, not under its kind.
 */
const POLL_MS = 200;

/** How every PostgreSQL child's title starts once it has set it. */
const TITLE_PREFIX = 'postgres: ';
/** Background processes, by the title PostgreSQL gives them (`postgres: [cluster: ]checkpointer`). */
const BACKGROUND_KINDS = [
  'checkpointer',
  'background writer',
  'walwriter',
  'autovacuum launcher',
  'autovacuum worker',
  'io worker',
  'logical replication launcher',
  'walsummarizer',
] as const;
/** Client connections (Herald's pools, the bench's readers) and their parallel workers. */
const BACKENDS = 'backends';
const POSTMASTER = 'postmaster';
/** Children's time after their last reading (exited backends and autovacuum workers, reaped by the postmaster). */
const EXITED = 'exited since read';

/** Cumulative CPU ms of one PostgreSQL server's processes, by kind. */
export type PgProcessCpuSample = Record<string, number>;

/** The kind of a PostgreSQL process from its title. */
export function processKind(title: string): string {
  const name = title.startsWith(TITLE_PREFIX) ? title.slice(TITLE_PREFIX.length) : title;
  return BACKGROUND_KINDS.find((kind) => name.startsWith(kind) || name.includes(`: ${kind}`)) ?? BACKENDS;
}

interface Child {
  kind: string;
  /** False while the child still bears the postmaster's command line (just forked): read again. */
  titled: boolean;
  /** utime + stime + cutime + cstime at its last reading. */
  ticks: number;
  /** Of which in the kernel (stime + cstime): fsyncs, socket and file I/O. */
  systemTicks: number;
}

/** The kernel's share of a kind, as its own entry of a sample (e.g. `backends, in the kernel`). */
export function inKernel(kind: string): string {
  return `${kind}, in the kernel`;
}

/**
 * One PostgreSQL server's CPU split by process kind: the backends against the background processes
 * (checkpointer, background writer, walwriter, autovacuum launcher and workers, I/O workers), from
 * /proc, every child of the postmaster read every POLL_MS so that short-lived autovacuum workers are
 * seen. A sample is cumulative: each child's time at its last reading (an exited one keeps it), the
 * postmaster's own, and EXITED, the reaped children's time (the postmaster's cutime + cstime) less what
 * their readings already counted. The sum over kinds is the server's whole tree, as ProcessTreeCpu
 * counts it; each kind's time in the kernel is given besides (inKernel), not added.
 */
export class PgProcessCpu {
  private readonly children = new Map<number, Child>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly postmasterPid: number) {
    this.read();
    this.timer = setInterval(() => this.read(), POLL_MS);
    this.timer.unref();
  }

  sample(): PgProcessCpuSample {
    const postmaster = this.read();
    const msPerTick = 1000 / TICKS_PER_SECOND;
    const sample: PgProcessCpuSample = { [POSTMASTER]: postmaster.ownTicks * msPerTick };
    let exitedCounted = 0;
    for (const [pid, { kind, ticks, systemTicks }] of this.children) {
      sample[kind] = (sample[kind] ?? 0) + ticks * msPerTick;
      sample[inKernel(kind)] = (sample[inKernel(kind)] ?? 0) + systemTicks * msPerTick;
      if (!postmaster.live.has(pid)) exitedCounted += ticks;
    }
    sample[EXITED] = (postmaster.reapedTicks - exitedCounted) * msPerTick;
    return sample;
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Reads the postmaster and each live child; returns the postmaster's own and reaped ticks and its live children. */
  private read(): { ownTicks: number; reapedTicks: number; live: Set<number> } {
    const postmaster = readStat(this.postmasterPid);
    if (postmaster === undefined)
      throw new Error(`PostgreSQL's postmaster (pid ${this.postmasterPid}) is gone`);
    const live = new Set<number>();
    const childPids =
      readGone(`/proc/${this.postmasterPid}/task/${this.postmasterPid}/children`)?.trim().split(' ') ?? [];
    for (const entry of childPids.filter((pid) => pid !== '')) {
      const pid = Number(entry);
      const stat = readStat(pid);
      if (stat === undefined) continue;
      live.add(pid);
      const ticks = stat.utime + stat.stime + stat.cutime + stat.cstime;
      const systemTicks = stat.stime + stat.cstime;
      const known = this.children.get(pid);
      if (known?.titled === true) {
        known.ticks = ticks;
        known.systemTicks = systemTicks;
        continue;
      }
      const title = readTitle(pid) ?? '';
      this.children.set(pid, {
        kind: processKind(title),
        titled: title.startsWith(TITLE_PREFIX),
        ticks,
        systemTicks,
      });
    }
    return {
      ownTicks: postmaster.utime + postmaster.stime,
      reapedTicks: postmaster.cutime + postmaster.cstime,
      live,
    };
  }
}

/** What each kind used from `before` to `after`. */
export function pgProcessCpuBetween(
  before: PgProcessCpuSample,
  after: PgProcessCpuSample,
): PgProcessCpuSample {
  return Object.fromEntries(Object.entries(after).map(([kind, ms]) => [kind, ms - (before[kind] ?? 0)]));
}

interface Stat {
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

function readStat(pid: number): Stat | undefined {
  const text = readGone(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // comm may hold spaces and parentheses: fields are counted after its last ')' (proc(5)); 14-17.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    utime: Number(fields[11]),
    stime: Number(fields[12]),
    cutime: Number(fields[13]),
    cstime: Number(fields[14]),
  };
}

/** A PostgreSQL process's title (the command line it rewrites). */
function readTitle(pid: number): string | undefined {
  return readGone(`/proc/${pid}/cmdline`)?.replace(/\0+$/, '').replace(/\0/g, ' ');
}

/** A /proc file's text, or undefined when its process exited meanwhile. */
function readGone(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw error;
  }
}

/** PostgreSQL's CPU by process kind: idle ms per second, and ms per operation in a measured window. */
export interface PgProcessShares {
  idleMsPerSecond: PgProcessCpuSample;
  msPerOp: PgProcessCpuSample;
}

/** The shares from three samples: before an idle sample of `idleSeconds`, after it (the window's start), and the window's end. */
export function pgProcessShares(
  idleStart: PgProcessCpuSample,
  windowStart: PgProcessCpuSample,
  windowEnd: PgProcessCpuSample,
  idleSeconds: number,
  operations: number,
): PgProcessShares {
  const scaled = (sample: PgProcessCpuSample, divisor: number): PgProcessCpuSample =>
    Object.fromEntries(Object.entries(sample).map(([kind, ms]) => [kind, ms / Math.max(divisor, 1e-9)]));
  return {
    idleMsPerSecond: scaled(pgProcessCpuBetween(idleStart, windowStart), idleSeconds),
    msPerOp: scaled(pgProcessCpuBetween(windowStart, windowEnd), Math.max(operations, 1)),
  };
}

export function printPgProcessShares(shares: PgProcessShares): void {
  const line = (sample: PgProcessCpuSample, digits: number): string =>
    Object.entries(sample)
      .filter(([, value]) => value !== 0)
      .sort(([, a], [, b]) => b - a)
      .map(([kind, value]) => `${kind} ${value.toFixed(digits)}`)
      .join(', ');
  console.log(
    `   postgres CPU ms per operation by process (the kernel's share of each besides): ${line(shares.msPerOp, 3)}`,
  );
  console.log(`   postgres idle CPU ms/s before the step by process: ${line(shares.idleMsPerSecond, 1)}`);
}
