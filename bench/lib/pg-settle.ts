import { Client } from 'pg';
import { sleep } from './bench-state';

/** How often a running autovacuum worker is looked for while waiting for it to finish. */
const AUTOVACUUM_POLL_MS = 250;
/** Longest wait for a running autovacuum worker (then the settling goes on: VACUUM waits for its lock). */
const AUTOVACUUM_WAIT_MAX_MS = 60_000;

/** What settling PostgreSQL took, for the bench's output. */
export interface PgSettling {
  tables: number;
  autovacuumWaitMs: number;
  vacuumMs: number;
  checkpointMs: number;
}

/**
 * Does now, before a measurement, the background work a bench's set-up leaves PostgreSQL (its bulk
 * inserts of accounts, registrations and claims), so that it does not land in the measured window
 * at a moment that changes from run to run: waits for a running autovacuum worker, VACUUM (ANALYZE)s
 * Herald's tables (what autovacuum and autoanalyze would do to the fresh rows within a naptime, and
 * the statistics a deployment that has run for a while has), then CHECKPOINTs (the set-up's dirty
 * blocks are written now, and the next timed checkpoint is checkpoint_timeout away). The measured
 * traffic's own dead rows, autovacuums and checkpoints are not touched: they stay in the figure.
 */
export async function settlePostgres(databaseUrl: string): Promise<PgSettling> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'herald-bench-settle' });
  await client.connect();
  try {
    const started = Date.now();
    while (Date.now() - started < AUTOVACUUM_WAIT_MAX_MS) {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity
          WHERE backend_type = 'autovacuum worker' AND datname = current_database()`,
      );
      if (rows[0]?.n === '0') break;
      await sleep(AUTOVACUUM_POLL_MS);
    }
    const autovacuumWaitMs = Date.now() - started;
    const tables = await heraldTables(client);
    const vacuumStarted = Date.now();
    if (tables.length > 0) {
      await client.query(`VACUUM (ANALYZE) ${tables.join(', ')}`);
    }
    const checkpointStarted = Date.now();
    await client.query('CHECKPOINT');
    return {
      tables: tables.length,
      autovacuumWaitMs,
      vacuumMs: checkpointStarted - vacuumStarted,
      checkpointMs: Date.now() - checkpointStarted,
    };
  } finally {
    await client.end();
  }
}

/** The bench's line when PostgreSQL was not settled. */
export const NOT_SETTLED = 'PostgreSQL not settled before measuring (--settle-postgres no)';

/** Settles PostgreSQL unless `--settle-postgres no` asked not to; the line the bench prints either way. */
export async function settlePostgresUnless(
  databaseUrl: string,
  settleOption: string | undefined,
): Promise<string> {
  if (settleOption === 'no') return NOT_SETTLED;
  return describeSettling(await settlePostgres(databaseUrl));
}

/** One line saying what was settled and that the measured traffic's own background work is still counted. */
export function describeSettling(settling: PgSettling): string {
  return (
    `PostgreSQL settled before measuring: autovacuum waited for ${(settling.autovacuumWaitMs / 1000).toFixed(1)} s, ` +
    `VACUUM (ANALYZE) of ${settling.tables} tables ${(settling.vacuumMs / 1000).toFixed(1)} s, ` +
    `CHECKPOINT ${(settling.checkpointMs / 1000).toFixed(1)} s (the set-up's background work, done outside ` +
    `the window; autovacuum and checkpoints the measured traffic causes stay in it)`
  );
}

/**
 * ANALYZEs Herald's tables after the warm-up, before measuring: settlePostgres analyzed the tables
 * the measured operation grows (messages, message_deliveries, processed_commands) while they were
 * empty, and the plans PostgreSQL then made and kept per connection (a foreign-key check's among
 * them) scan them whole as they grow, until an ANALYZE: autoanalyze's next pass, a minute away, in
 * the middle of a 15 s window or after it. Analyzed with the warm-up's rows, the statistics are a
 * running deployment's, and every plan is made anew on them. Returns how long it took, in ms.
 */
export async function analyzeWarmedTables(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'herald-bench-settle' });
  await client.connect();
  try {
    const started = Date.now();
    const tables = await heraldTables(client);
    if (tables.length > 0) {
      await client.query(`ANALYZE ${tables.join(', ')}`);
    }
    return Date.now() - started;
  } finally {
    await client.end();
  }
}

/** One line saying the tables were analyzed again after the warm-up. */
export function describeWarmedAnalyze(analyzeMs: number): string {
  return (
    `ANALYZE after the warm-up ${(analyzeMs / 1000).toFixed(1)} s (statistics with the warm-up's rows: ` +
    `no plan made on the empty tables is measured)`
  );
}

/** Every table of the database, schema-qualified and quoted. */
async function heraldTables(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT format('%I.%I', schemaname, relname) AS name FROM pg_stat_user_tables ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}
