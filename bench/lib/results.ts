import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/** Same file and record shape as record_result in bench/lib/common.sh. */
const RESULTS_FILE = process.env['BENCH_RESULTS'] ?? '/tmp/herald-bench/results.jsonl';

export interface BenchRecord {
  section: string;
  name: string;
  side: string;
  value: string;
  unit: string;
  detail: string;
  load: string;
  at: string;
}

export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

/** Appends one figure to the results file and prints it. */
export function recordResult(
  section: string,
  name: string,
  side: string,
  value: number | string,
  unit: string,
  detail = '',
): void {
  const record: BenchRecord = {
    section,
    name,
    side,
    value: typeof value === 'number' ? formatNumber(value) : value,
    unit,
    detail,
    load: loadAverage(),
    at: new Date().toISOString(),
  };
  appendFileSync(RESULTS_FILE, `${JSON.stringify(record)}\n`);
  console.log(
    `RESULT ${section} | ${name} | ${side}: ${record.value} ${unit}${detail ? ` (${detail})` : ''}`,
  );
}

export function readResults(file = RESULTS_FILE): BenchRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as BenchRecord);
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (Number.isInteger(value)) return String(value);
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}

/** The q-quantile (0..1) of unsorted samples, nearest rank; NaN when there are none. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export function mean(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((sum, value) => sum + value, 0) / samples.length;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: string;
  node: string;
  load: string;
}

export function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    load: loadAverage(),
  };
}

/** Resident set size of a process in bytes, from /proc (0 when it is gone). */
export function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}
