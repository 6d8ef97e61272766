import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CpuStep } from './lib/cpu-report';
import type { HopTimes } from './lib/kafka-hop-timer';

/**
 * Where each Kafka hop of a cpu-per-op step spent its time, per Herald process: p50 / p99 ms and
 * the number of samples of each kind the hop timer preload took (bench/lib/kafka-hop-timer.ts)
 * within the step's CPU window. Kinds with no sample in the window are left out.
 *
 *   node dist/bench/kafka-hop-times.js --times /tmp/hops --steps /tmp/hops/steps.jsonl
 */
function main(): void {
  const { values } = parseArgs({ options: { times: { type: 'string' }, steps: { type: 'string' } } });
  if (values.times === undefined || values.steps === undefined) {
    throw new Error('usage: kafka-hop-times --times DIR --steps CPU_PER_OP_JSONL');
  }
  const processes = readdirSync(values.times)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(values.times as string, name), 'utf8')) as HopTimes)
    .sort((a, b) => a.app.localeCompare(b.app));
  const steps = readFileSync(values.steps, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CpuStep);
  for (const step of steps) {
    const end = Date.parse(step.at);
    const start = end - step.windowSeconds * 1000;
    const latencies = Object.entries(step.latencyMs)
      .map(([interval, { p50, p99 }]) => `${interval} ${p50} / ${p99}`)
      .join(', ');
    console.log(
      `\n${step.op} at ${step.offeredPerSecond}/s, load ${step.load}, ${step.commit}: ${latencies}`,
    );
    console.log('process | samples of | p50 / p99 ms | samples');
    for (const { app, samples } of processes) {
      for (const [kind, pairs] of Object.entries(samples).sort(([a], [b]) => a.localeCompare(b))) {
        const inWindow: number[] = [];
        for (let index = 0; index < pairs.length; index += 2) {
          const at = pairs[index]!;
          if (at >= start && at <= end) inWindow.push(pairs[index + 1]!);
        }
        if (inWindow.length === 0) continue;
        inWindow.sort((a, b) => a - b);
        const at = (fraction: number): number =>
          inWindow[Math.min(inWindow.length - 1, Math.floor(fraction * inWindow.length))]!;
        console.log(`${app} | ${kind} | ${at(0.5)} / ${at(0.99)} | ${inWindow.length}`);
      }
    }
  }
}

main();
