import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CpuStep } from './cpu-report';

/** What a counting preload wrote per process: counts per key in each second since `startedAt`. */
export interface PerSecondCounts {
  app: string;
  pid: number;
  /** Epoch ms of second 0. */
  startedAt: number;
  perSecond: Record<string, number[]>;
}

/** Every `.json` a counting preload wrote into `directory`, by app name. */
export function readCounts<C extends PerSecondCounts>(directory: string): C[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(directory, name), 'utf8')) as C)
    .filter(({ perSecond }) => Object.keys(perSecond).length > 0)
    .sort((a, b) => a.app.localeCompare(b.app));
}

/** The cpu-per-op steps of a JSON lines file (`--out`). */
export function readSteps(file: string): CpuStep[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CpuStep);
}

/** The sum of a process's per-second counts within the step's CPU window (whole seconds). */
export function inStepWindow(step: CpuStep, startedAt: number, seconds: readonly number[]): number {
  const end = Date.parse(step.at);
  const start = end - step.windowSeconds * 1000;
  return seconds.reduce((sum, count, second) => {
    const at = startedAt + second * 1000;
    return at + 1000 > start && at < end ? sum + count : sum;
  }, 0);
}
