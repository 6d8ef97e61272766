import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CpuStep } from './lib/cpu-report';
import type { CountedStatements } from './lib/pg-statement-counter';

/**
 * PostgreSQL statements per operation of each cpu-per-op step, per Herald process and statement,
 * from the files the statement counter preload wrote (bench/lib/pg-statement-counter.ts): the
 * statements sent within each step's CPU window (whole seconds) divided by its succeeded
 * operations. COMMIT per operation is transactions per operation; a statement run once per group
 * (e.g. im-router's message insert, its outcome update) counts groups per operation.
 *
 *   node dist/bench/pg-statements.js --counts /tmp/pgcounts --steps /tmp/pgcounts/steps.jsonl
 */
function main(): void {
  const { values } = parseArgs({ options: { counts: { type: 'string' }, steps: { type: 'string' } } });
  if (values.counts === undefined || values.steps === undefined) {
    throw new Error('usage: pg-statements --counts DIR --steps CPU_PER_OP_JSONL');
  }
  const counted = readdirSync(values.counts)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(values.counts as string, name), 'utf8')) as CountedStatements)
    .sort((a, b) => a.app.localeCompare(b.app));
  const steps = readFileSync(values.steps, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CpuStep);
  for (const step of steps) printStep(step, counted);
}

function printStep(step: CpuStep, counted: ReadonlyArray<CountedStatements>): void {
  const end = Date.parse(step.at);
  const start = end - step.windowSeconds * 1000;
  const operations = Math.max(step.succeeded, 1);
  console.log(
    `\n${step.op} at ${step.offeredPerSecond}/s (${step.succeeded} of ${step.sent} succeeded, window ` +
      `${step.windowSeconds.toFixed(1)} s, load ${step.load}, ${step.commit}): statements per operation`,
  );
  for (const process of counted) {
    const rows = Object.entries(process.perSecond)
      .map(([label, seconds]): [string, number] => [
        label,
        seconds.reduce((sum, statements, second) => {
          const at = process.startedAt + second * 1000;
          return at + 1000 > start && at < end ? sum + statements : sum;
        }, 0),
      ])
      .filter(([, statements]) => statements > 0)
      .sort((a, b) => b[1] - a[1]);
    const all = rows.reduce((sum, [, statements]) => sum + statements, 0);
    if (all === 0) continue;
    console.log(`${process.app} (pid ${process.pid}): ${(all / operations).toFixed(3)} in all`);
    for (const [label, statements] of rows) {
      console.log(`  ${(statements / operations).toFixed(3).padStart(8)}  ${label}`);
    }
  }
}

main();
