import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LOAD_GROUP } from './deployment';
import type { PgActivity } from './pg-activity';
import { REPO_ROOT } from './herald-launch';
import type { OpenLoopStep } from './open-loop';
import { sleep } from './bench-state';
import { cpuBetween, type CpuSample, type ProcessTreeCpu } from './process-cpu';
import { loadAverage, machineInfo, type MachineInfo, quantile } from './results';

/** One measured step: the load's outcome and the CPU every process of the deployment used for it. */
export interface CpuStep extends CpuPerOperation {
  bench: 'cpu-per-op';
  at: string;
  mode: string;
  op: string;
  offeredPerSecond: number;
  seconds: number;
  sent: number;
  succeeded: number;
  achievedPerSecond: number;
  failures: Record<string, number>;
  /** p50 and p99 (ms) per measured interval. */
  latencyMs: Record<string, { p50: number; p99: number }>;
  /** CPU window: the first send until Herald was idle again after the last answer. */
  windowSeconds: number;
  note: string;
  /** With --pg-stats: what PostgreSQL did per operation. */
  postgres?: PgActivity;
  /** With --pg-stats: PostgreSQL's CPU by process kind, idle (ms/s, sampled before the step) and in the window (ms per operation). */
  postgresProcesses?: { idleMsPerSecond: Record<string, number>; msPerOp: Record<string, number> };
  load: string;
  machine: MachineInfo;
  /** The checkout's commit (figures belong to the code they measured). */
  commit: string;
}

/** CPU per operation of Herald's process groups (all but the load generator) and of the load generator. */
export interface CpuPerOperation {
  /** Herald's processes: CPU ms per succeeded operation, in all and per process group. */
  cpuMsPerOp: { total: number; byProcess: Record<string, number> };
  /** The same less each process's idle CPU (sampled before the step) over the window. */
  netCpuMsPerOp: { total: number; byProcess: Record<string, number> };
  idleCpuMsPerSecond: Record<string, number>;
  loadGeneratorCpuMsPerOp: number;
}

export function cpuPerOperation(
  cpuMs: CpuSample,
  idleCpuMsPerSecond: CpuSample,
  windowSeconds: number,
  operations: number,
): CpuPerOperation {
  const perOp = (ms: number) => ms / Math.max(operations, 1);
  const herald = Object.keys(cpuMs).filter((name) => name !== LOAD_GROUP);
  const byProcess = Object.fromEntries(herald.map((name) => [name, perOp(cpuMs[name] ?? 0)]));
  const netByProcess = Object.fromEntries(
    herald.map((name) => [name, perOp((cpuMs[name] ?? 0) - (idleCpuMsPerSecond[name] ?? 0) * windowSeconds)]),
  );
  return {
    cpuMsPerOp: { total: sum(Object.values(byProcess)), byProcess },
    netCpuMsPerOp: { total: sum(Object.values(netByProcess)), byProcess: netByProcess },
    idleCpuMsPerSecond,
    loadGeneratorCpuMsPerOp: perOp(cpuMs[LOAD_GROUP] ?? 0),
  };
}

/** Each group's CPU ms per second over `ms` of idle time, sampled now (Herald must be idle). */
export async function idleCpuPerSecond(cpu: ProcessTreeCpu, ms: number): Promise<CpuSample> {
  const start = cpu.sample();
  await sleep(ms);
  const used = cpuBetween(start, cpu.sample());
  return Object.fromEntries(Object.entries(used).map(([name, value]) => [name, value / (ms / 1000)]));
}

export function measuredStep(input: {
  mode: string;
  op: string;
  loop: OpenLoopStep;
  cpuMs: CpuSample;
  idleCpuMsPerSecond: CpuSample;
  windowSeconds: number;
  note: string;
}): CpuStep {
  const { loop, windowSeconds } = input;
  return {
    bench: 'cpu-per-op',
    at: new Date().toISOString(),
    mode: input.mode,
    op: input.op,
    offeredPerSecond: loop.offeredPerSecond,
    seconds: loop.sendSeconds,
    sent: loop.sent,
    succeeded: loop.succeeded,
    achievedPerSecond: loop.achievedPerSecond,
    failures: loop.failures,
    latencyMs: latencyQuantiles(loop.latenciesMs),
    windowSeconds,
    ...cpuPerOperation(input.cpuMs, input.idleCpuMsPerSecond, windowSeconds, loop.succeeded),
    note: input.note,
    load: loadAverage(),
    machine: machineInfo(),
    commit: checkoutCommit(),
  };
}

/** `git describe` of the checkout the bench runs from: the commit, "-dirty" with local changes. */
export function checkoutCommit(): string {
  return execFileSync('git', ['describe', '--always', '--dirty'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  }).trim();
}

export function latencyQuantiles(
  latenciesMs: Record<string, readonly number[]>,
): Record<string, { p50: number; p99: number }> {
  return Object.fromEntries(
    Object.entries(latenciesMs).map(([name, samples]) => [
      name,
      { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) },
    ]),
  );
}

/** Appends one record as a JSON line. */
export function writeRecord(file: string, record: object): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}

/** A table of steps: outcome, latency, CPU ms per operation in all and per process, load. */
export function printSteps(steps: readonly CpuStep[]): void {
  const first = steps[0];
  if (first === undefined) return;
  const processes = Object.keys(first.cpuMsPerOp.byProcess);
  const intervals = Object.keys(first.latencyMs);
  const header = [
    'mode',
    'op',
    'offered/s',
    'achieved/s',
    'failed',
    ...intervals.map((name) => `${name} p50/p99 ms`),
    'CPU ms/op (net of idle)',
    ...processes,
    'load gen',
    'load avg',
  ];
  const rows = steps.map((step) => [
    step.mode,
    step.op,
    String(step.offeredPerSecond),
    step.achievedPerSecond.toFixed(0),
    `${sum(Object.values(step.failures))} of ${step.sent}`,
    ...intervals.map((name) => `${fixed(step.latencyMs[name]?.p50)} / ${fixed(step.latencyMs[name]?.p99)}`),
    `${fixed(step.cpuMsPerOp.total)} (${fixed(step.netCpuMsPerOp.total)})`,
    ...processes.map((name) => fixed(step.cpuMsPerOp.byProcess[name])),
    fixed(step.loadGeneratorCpuMsPerOp),
    step.load,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  for (const row of [header, ...rows]) {
    console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | '));
  }
  for (const step of steps) {
    const failures = Object.entries(step.failures).map(([code, count]) => `${code} ${count}`);
    console.log(
      `  ${step.op} at ${step.offeredPerSecond}/s: ${failures.length > 0 ? `failures ${failures.join(', ')}; ` : ''}` +
        `CPU window ${step.windowSeconds.toFixed(1)} s; idle CPU ms/s ${JSON.stringify(roundAll(step.idleCpuMsPerSecond))}; ${step.note}`,
    );
  }
}

export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Two decimals below 100, none above (CPU ms, latencies). */
export function fixed(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}

function roundAll(sample: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(sample).map(([name, value]) => [name, Math.round(value * 10) / 10]),
  );
}
