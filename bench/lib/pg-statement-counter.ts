/**
 * A preload that counts the PostgreSQL statements every `pg` client of a process sends, by
 * statement (BEGIN and COMMIT included), per second: load it in every process a bench starts
 * through NODE_OPTIONS, and `bench/pg-statements.ts` divides the counts of each cpu-per-op step by
 * its operations (statements, transactions and groups per IM, per process).
 *
 *   PG_STATEMENT_COUNT_DIR=/tmp/pgcounts NODE_OPTIONS="--require $PWD/dist/bench/lib/pg-statement-counter.js" \
 *     node dist/bench/cpu-per-op.js --mode kafka ... --out /tmp/pgcounts/steps.jsonl
 *
 * At exit each process writes `<app>-<pid>.json` (CountedStatements) into PG_STATEMENT_COUNT_DIR;
 * <app> is the directory of its main script under dist/apps. Without PG_STATEMENT_COUNT_DIR it
 * does nothing. It wraps `pg`'s Client.prototype.query, so the apps run unmodified.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Client } from 'pg';

/** What a process wrote: per statement (its first words), the statements sent in each second since `startedAt`. */
export interface CountedStatements {
  app: string;
  pid: number;
  /** Epoch ms of second 0. */
  startedAt: number;
  /** Statement label → statements per second. */
  perSecond: Record<string, number[]>;
}

/** The words that tell a statement apart, whitespace collapsed (a prepared statement's text too). */
export function statementLabel(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 72);
}

const directory = process.env['PG_STATEMENT_COUNT_DIR'];
if (directory !== undefined && directory !== '') {
  const counted: CountedStatements = {
    app: basename(dirname(dirname(process.argv[1] ?? 'unknown/unknown'))),
    pid: process.pid,
    startedAt: Date.now(),
    perSecond: {},
  };
  const labels = new Map<string, string>();
  const count = (text: string): void => {
    let label = labels.get(text);
    if (label === undefined) {
      label = statementLabel(text);
      labels.set(text, label);
    }
    const second = Math.floor((Date.now() - counted.startedAt) / 1000);
    const seconds = (counted.perSecond[label] ??= []);
    while (seconds.length <= second) seconds.push(0);
    seconds[second] = (seconds[second] ?? 0) + 1;
  };
  const query = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;
  (Client.prototype as { query: unknown }).query = function (this: Client, ...args: unknown[]) {
    const [config] = args;
    if (typeof config === 'string') {
      count(config);
    } else if (typeof config === 'object' && config !== null && 'text' in config) {
      count(String((config as { text: unknown }).text));
    }
    return query.apply(this, args);
  };
  process.on('exit', () => {
    if (Object.keys(counted.perSecond).length > 0) {
      writeFileSync(join(directory, `${counted.app}-${counted.pid}.json`), JSON.stringify(counted));
    }
  });
}
