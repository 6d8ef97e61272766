import { parseArgs } from 'node:util';
import type { CpuStep } from './lib/cpu-report';
import { inStepWindow, readCounts, readSteps } from './lib/step-counts';
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
  const counted = readCounts<CountedStatements>(values.counts);
  for (const step of readSteps(values.steps)) printStep(step, counted);
}

function printStep(step: CpuStep, counted: ReadonlyArray<CountedStatements>): void {
  const operations = Math.max(step.succeeded, 1);
  console.log(
    `\n${step.op} at ${step.offeredPerSecond}/s (${step.succeeded} of ${step.sent} succeeded, window ` +
      `${step.windowSeconds.toFixed(1)} s, load ${step.load}, ${step.commit}): statements per operation`,
  );
  for (const process of counted) {
    const rows = Object.entries(process.perSecond)
      .map(([label, seconds]): [string, number] => [label, inStepWindow(step, process.startedAt, seconds)])
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
