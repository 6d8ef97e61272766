import { Client } from 'pg';

/**
 * What PostgreSQL did during a benchmark step, from its own statistics: per statement
 * (pg_stat_statements, when the server preloads it), per table and index, the WAL and its fsyncs,
 * the commits, and the background work that comes in lumps (checkpoints, the blocks each kind of
 * process wrote, autovacuum and autoanalyze runs per table; pg_stat_checkpointer and the vacuum
 * times of pg_stat_user_tables need PostgreSQL 18, what Herald runs). Counts, not times, are the load-independent part: calls, rows, WAL bytes, HOT
 * updates, index scans and fsyncs per operation do not move with the machine's load.
 *
 * The cumulative views other than pg_stat_statements are flushed by each backend at most once a
 * second, and by an idle one only after PGSTAT_IDLE_INTERVAL (10 s): a snapshot waits
 * STATS_FLUSH_WAIT_MS first, so that the counts of the step (and nothing of the next) are in it.
 */

/** Beyond PostgreSQL's PGSTAT_IDLE_INTERVAL (10 s), after which idle backends report their counts. */
export const STATS_FLUSH_WAIT_MS = 11_000;
/** Statements shown per step: the rest are summed into one line. */
const TOP_STATEMENTS = 14;
const STATEMENT_TEXT_CHARS = 110;
/** WAL record types written less often than this per operation are left out of the printout. */
const WAL_RECORDS_SHOWN_FROM = 0.01;

interface StatementCounts {
  query: string;
  calls: number;
  rows: number;
  execMs: number;
  planMs: number;
  plans: number;
  blocksDirtied: number;
  blocksWritten: number;
  walRecords: number;
  walFpi: number;
  walBytes: number;
}

interface TableCounts {
  inserted: number;
  updated: number;
  hotUpdated: number;
  deleted: number;
  seqScans: number;
  indexScans: number;
}

/** A table's vacuums and analyzes so far (pg_stat_user_tables; times in ms, PostgreSQL 18). */
interface TableMaintenance {
  autovacuums: number;
  autoanalyzes: number;
  vacuums: number;
  analyzes: number;
  autovacuumMs: number;
  autoanalyzeMs: number;
  lastAutovacuum: string | null;
  lastAutoanalyze: string | null;
  deadTuples: number;
}

/** The checkpointer's and background writer's work so far, and who wrote table and index blocks. */
interface BackgroundCounts {
  checkpointsTimed: number;
  checkpointsRequested: number;
  checkpointsDone: number;
  /** Blocks the checkpointer wrote, and its write and sync times (ms). */
  checkpointBuffers: number;
  checkpointWriteMs: number;
  checkpointSyncMs: number;
  /** Blocks the background writer cleaned. */
  bgwriterBuffers: number;
  /** The latest checkpoint's time (pg_control_checkpoint), ISO. */
  lastCheckpointAt: string;
  /** Table and index blocks written (pg_stat_io, object relation), by backend type. */
  relationWrites: Record<string, number>;
}

/** Cumulative counters at one moment. */
export interface PgSnapshot {
  statements: Record<string, StatementCounts> | undefined;
  tables: Record<string, TableCounts>;
  maintenance: Record<string, TableMaintenance>;
  background: BackgroundCounts;
  indexScans: Record<string, number>;
  wal: { records: number; fpi: number; bytes: number; buffersFull: number; writes: number; fsyncs: number };
  commits: number;
  rollbacks: number;
  /** pg_current_wal_lsn() when taken. */
  walLsn: string;
  /** With a `since` LSN: the WAL written since, by resource manager and record type (pg_walinspect). */
  walByRecord?: Record<string, { count: number; bytes: number; fpiBytes: number }>;
}

/** Per-operation differences of two snapshots, as a cpu-per-op step records them. */
export interface PgActivity {
  perOperation: {
    commits: number;
    walRecords: number;
    walFpi: number;
    walBytes: number;
    walWrites: number;
    walFsyncs: number;
    statementCalls?: number;
    statementExecMs?: number;
    statementPlanMs?: number;
  };
  statements?: Array<{ query: string } & Omit<StatementCounts, 'query'>>;
  tables: Array<{ table: string } & TableCounts>;
  /**
   * Background work between the snapshots, in all (not per operation): it comes in lumps whose
   * size does not follow the operations, and is what makes two runs of the same work differ.
   */
  background: {
    checkpoints: { timed: number; requested: number; done: number };
    checkpointBuffers: number;
    checkpointWriteMs: number;
    checkpointSyncMs: number;
    bgwriterBuffers: number;
    /** The latest checkpoint's time, when it is after the first snapshot. */
    checkpointAt: string | null;
    relationWrites: Record<string, number>;
    /** Per table vacuumed or analyzed in between: runs, their time, and the latest's time. */
    maintenance: Array<{ table: string } & TableMaintenance>;
  };
  indexScans: Array<{ index: string; scans: number }>;
  walByRecord?: Array<{ record: string; count: number; bytes: number; fpiBytes: number }>;
}

/** pgSnapshot once STATS_FLUSH_WAIT_MS has passed, so that every backend's counts so far are in it. */
export async function pgSnapshotFlushed(databaseUrl: string, since?: PgSnapshot): Promise<PgSnapshot> {
  await new Promise((resolve) => setTimeout(resolve, STATS_FLUSH_WAIT_MS));
  return pgSnapshot(databaseUrl, since);
}

/** The counters now; with `since` (an earlier snapshot), also the WAL written after it by record type. */
export async function pgSnapshot(databaseUrl: string, since?: PgSnapshot): Promise<PgSnapshot> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'herald-bench-pg-stats' });
  await client.connect();
  try {
    const { rows: extension } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_extension WHERE extname = 'pg_stat_statements'`,
    );
    const preloaded = await client.query<{ setting: string }>(
      `SELECT current_setting('shared_preload_libraries') AS setting`,
    );
    let statements: PgSnapshot['statements'];
    if (preloaded.rows[0]?.setting.includes('pg_stat_statements')) {
      if (extension[0]?.n === '0') await client.query('CREATE EXTENSION pg_stat_statements');
      statements = {};
      const { rows } = await client.query<Record<string, string>>(
        `SELECT queryid::text AS id, query, calls, rows, total_exec_time, total_plan_time, plans,
                shared_blks_dirtied, shared_blks_written, wal_records, wal_fpi, wal_bytes
           FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      for (const row of rows) {
        statements[row['id'] ?? ''] = {
          query: row['query'] ?? '',
          calls: Number(row['calls']),
          rows: Number(row['rows']),
          execMs: Number(row['total_exec_time']),
          planMs: Number(row['total_plan_time']),
          plans: Number(row['plans']),
          blocksDirtied: Number(row['shared_blks_dirtied']),
          blocksWritten: Number(row['shared_blks_written']),
          walRecords: Number(row['wal_records']),
          walFpi: Number(row['wal_fpi']),
          walBytes: Number(row['wal_bytes']),
        };
      }
    }
    const tables: PgSnapshot['tables'] = {};
    const maintenance: PgSnapshot['maintenance'] = {};
    const { rows: tableRows } = await client.query<Record<string, string | null>>(
      `SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, seq_scan, coalesce(idx_scan, 0) AS idx_scan,
              autovacuum_count, autoanalyze_count, vacuum_count, analyze_count, n_dead_tup,
              total_autovacuum_time, total_autoanalyze_time,
              to_json(last_autovacuum) #>> '{}' AS last_autovacuum,
              to_json(last_autoanalyze) #>> '{}' AS last_autoanalyze
         FROM pg_stat_user_tables`,
    );
    for (const row of tableRows) {
      const table = row['relname'] ?? '';
      tables[table] = {
        inserted: Number(row['n_tup_ins']),
        updated: Number(row['n_tup_upd']),
        hotUpdated: Number(row['n_tup_hot_upd']),
        deleted: Number(row['n_tup_del']),
        seqScans: Number(row['seq_scan']),
        indexScans: Number(row['idx_scan']),
      };
      maintenance[table] = {
        autovacuums: Number(row['autovacuum_count']),
        autoanalyzes: Number(row['autoanalyze_count']),
        vacuums: Number(row['vacuum_count']),
        analyzes: Number(row['analyze_count']),
        autovacuumMs: Number(row['total_autovacuum_time']),
        autoanalyzeMs: Number(row['total_autoanalyze_time']),
        lastAutovacuum: row['last_autovacuum'] ?? null,
        lastAutoanalyze: row['last_autoanalyze'] ?? null,
        deadTuples: Number(row['n_dead_tup']),
      };
    }
    const { rows: checkpointerRows } = await client.query<Record<string, string>>(
      `SELECT c.num_timed, c.num_requested, c.num_done, c.buffers_written, c.write_time, c.sync_time,
              b.buffers_clean, to_json(k.checkpoint_time) #>> '{}' AS checkpoint_time
         FROM pg_stat_checkpointer c, pg_stat_bgwriter b, pg_control_checkpoint() k`,
    );
    const checkpointer = checkpointerRows[0] ?? {};
    const relationWrites: BackgroundCounts['relationWrites'] = {};
    const { rows: ioRows } = await client.query<{ backend_type: string; writes: string }>(
      `SELECT backend_type, sum(writes) AS writes FROM pg_stat_io
        WHERE object = 'relation' AND writes > 0 GROUP BY backend_type`,
    );
    for (const row of ioRows) relationWrites[row.backend_type] = Number(row.writes);
    const background: BackgroundCounts = {
      checkpointsTimed: Number(checkpointer['num_timed']),
      checkpointsRequested: Number(checkpointer['num_requested']),
      checkpointsDone: Number(checkpointer['num_done']),
      checkpointBuffers: Number(checkpointer['buffers_written']),
      checkpointWriteMs: Number(checkpointer['write_time']),
      checkpointSyncMs: Number(checkpointer['sync_time']),
      bgwriterBuffers: Number(checkpointer['buffers_clean']),
      lastCheckpointAt: checkpointer['checkpoint_time'] ?? '',
      relationWrites,
    };
    const indexScans: PgSnapshot['indexScans'] = {};
    const { rows: indexRows } = await client.query<{ indexrelname: string; idx_scan: string }>(
      `SELECT indexrelname, idx_scan FROM pg_stat_user_indexes`,
    );
    for (const row of indexRows) indexScans[row.indexrelname] = Number(row.idx_scan);
    const { rows: walRows } = await client.query<Record<string, string>>(
      `SELECT w.wal_records, w.wal_fpi, w.wal_bytes, w.wal_buffers_full,
              (SELECT coalesce(sum(writes), 0) FROM pg_stat_io WHERE object = 'wal') AS writes,
              (SELECT coalesce(sum(fsyncs), 0) FROM pg_stat_io WHERE object = 'wal') AS fsyncs
         FROM pg_stat_wal w`,
    );
    const wal = walRows[0] ?? {};
    const { rows: databaseRows } = await client.query<{ xact_commit: string; xact_rollback: string }>(
      `SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()`,
    );
    const { rows: lsnRows } = await client.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`);
    const walLsn = lsnRows[0]?.lsn ?? '0/0';
    let walByRecord: PgSnapshot['walByRecord'];
    if (since !== undefined) {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
      const rows = await walStatsSince(client, since.walLsn, walLsn);
      walByRecord =
        rows === undefined
          ? undefined
          : Object.fromEntries(
              rows.map((row) => [
                row['record'] ?? '',
                {
                  count: Number(row['count']),
                  bytes: Number(row['record_size']),
                  fpiBytes: Number(row['fpi_size']),
                },
              ]),
            );
    }
    return {
      walLsn,
      walByRecord,
      statements,
      tables,
      maintenance,
      background,
      indexScans,
      wal: {
        records: Number(wal['wal_records']),
        fpi: Number(wal['wal_fpi']),
        bytes: Number(wal['wal_bytes']),
        buffersFull: Number(wal['wal_buffers_full']),
        writes: Number(wal['writes']),
        fsyncs: Number(wal['fsyncs']),
      },
      commits: Number(databaseRows[0]?.xact_commit),
      rollbacks: Number(databaseRows[0]?.xact_rollback),
    };
  } finally {
    await client.end();
  }
}

/** PostgreSQL's "requested WAL segment ... has already been removed". */
const WAL_SEGMENT_REMOVED = '58P01';

/**
 * The WAL's records by type between two LSNs (pg_walinspect), or undefined when checkpoints have
 * recycled the WAL since the first (a short checkpoint_timeout): said, and the rest is still read.
 */
async function walStatsSince(
  client: Client,
  from: string,
  to: string,
): Promise<Array<Record<string, string>> | undefined> {
  try {
    const { rows } = await client.query<Record<string, string>>(
      `SELECT "resource_manager/record_type" AS record, count, record_size, fpi_size
         FROM pg_get_wal_stats($1::pg_lsn, $2::pg_lsn, true) WHERE count > 0`,
      [from, to],
    );
    return rows;
  } catch (error) {
    if ((error as { code?: string }).code !== WAL_SEGMENT_REMOVED) throw error;
    console.log(`pg-activity: no WAL records by type: ${(error as Error).message} (checkpoints recycled it)`);
    return undefined;
  }
}

/** What happened between two snapshots, per operation (`operations` of at least 1). */
export function pgActivity(before: PgSnapshot, after: PgSnapshot, operations: number): PgActivity {
  const per = (value: number): number => value / Math.max(operations, 1);
  const activity: PgActivity = {
    perOperation: {
      commits: per(after.commits - before.commits),
      walRecords: per(after.wal.records - before.wal.records),
      walFpi: per(after.wal.fpi - before.wal.fpi),
      walBytes: per(after.wal.bytes - before.wal.bytes),
      walWrites: per(after.wal.writes - before.wal.writes),
      walFsyncs: per(after.wal.fsyncs - before.wal.fsyncs),
    },
    tables: Object.entries(after.tables)
      .map(([table, now]) => {
        const then = before.tables[table];
        return {
          table,
          inserted: per(now.inserted - (then?.inserted ?? 0)),
          updated: per(now.updated - (then?.updated ?? 0)),
          hotUpdated: per(now.hotUpdated - (then?.hotUpdated ?? 0)),
          deleted: per(now.deleted - (then?.deleted ?? 0)),
          seqScans: per(now.seqScans - (then?.seqScans ?? 0)),
          indexScans: per(now.indexScans - (then?.indexScans ?? 0)),
        };
      })
      .filter((row) => row.inserted + row.updated + row.deleted + row.seqScans + row.indexScans > 0),
    background: backgroundBetween(before, after),
    indexScans: Object.entries(after.indexScans).map(([index, scans]) => ({
      index,
      scans: per(scans - (before.indexScans[index] ?? 0)),
    })),
  };
  if (after.walByRecord !== undefined) {
    activity.walByRecord = Object.entries(after.walByRecord)
      .map(([record, { count, bytes, fpiBytes }]) => ({
        record,
        count: per(count),
        bytes: per(bytes),
        fpiBytes: per(fpiBytes),
      }))
      .sort((a, b) => b.bytes + b.fpiBytes - (a.bytes + a.fpiBytes));
  }
  if (after.statements !== undefined) {
    const statements = Object.entries(after.statements)
      .map(([id, now]) => {
        const then = before.statements?.[id];
        return {
          query: now.query.replace(/\s+/g, ' ').slice(0, STATEMENT_TEXT_CHARS),
          calls: per(now.calls - (then?.calls ?? 0)),
          rows: per(now.rows - (then?.rows ?? 0)),
          execMs: per(now.execMs - (then?.execMs ?? 0)),
          planMs: per(now.planMs - (then?.planMs ?? 0)),
          plans: per(now.plans - (then?.plans ?? 0)),
          blocksDirtied: per(now.blocksDirtied - (then?.blocksDirtied ?? 0)),
          blocksWritten: per(now.blocksWritten - (then?.blocksWritten ?? 0)),
          walRecords: per(now.walRecords - (then?.walRecords ?? 0)),
          walFpi: per(now.walFpi - (then?.walFpi ?? 0)),
          walBytes: per(now.walBytes - (then?.walBytes ?? 0)),
        };
      })
      // The snapshots' own statements are not the deployment's.
      .filter((row) => row.calls > 0 && !/pg_stat|pg_extension|shared_preload_libraries/.test(row.query))
      .sort((a, b) => b.execMs + b.planMs - (a.execMs + a.planMs));
    activity.statements = statements;
    activity.perOperation.statementCalls = statements.reduce((sum, row) => sum + row.calls, 0);
    activity.perOperation.statementExecMs = statements.reduce((sum, row) => sum + row.execMs, 0);
    activity.perOperation.statementPlanMs = statements.reduce((sum, row) => sum + row.planMs, 0);
  }
  return activity;
}

/** The checkpoints, blocks written and vacuums between two snapshots. */
function backgroundBetween(before: PgSnapshot, after: PgSnapshot): PgActivity['background'] {
  const [then, now] = [before.background, after.background];
  const relationWrites = Object.fromEntries(
    Object.entries(now.relationWrites)
      .map(([type, writes]) => [type, writes - (then.relationWrites[type] ?? 0)] as const)
      .filter(([, writes]) => writes > 0),
  );
  const maintenance = Object.entries(after.maintenance)
    .map(([table, runs]) => {
      const earlier = before.maintenance[table];
      return {
        table,
        autovacuums: runs.autovacuums - (earlier?.autovacuums ?? 0),
        autoanalyzes: runs.autoanalyzes - (earlier?.autoanalyzes ?? 0),
        vacuums: runs.vacuums - (earlier?.vacuums ?? 0),
        analyzes: runs.analyzes - (earlier?.analyzes ?? 0),
        autovacuumMs: runs.autovacuumMs - (earlier?.autovacuumMs ?? 0),
        autoanalyzeMs: runs.autoanalyzeMs - (earlier?.autoanalyzeMs ?? 0),
        lastAutovacuum: runs.lastAutovacuum,
        lastAutoanalyze: runs.lastAutoanalyze,
        deadTuples: runs.deadTuples,
      };
    })
    .filter((row) => row.autovacuums + row.autoanalyzes + row.vacuums + row.analyzes > 0);
  return {
    checkpoints: {
      timed: now.checkpointsTimed - then.checkpointsTimed,
      requested: now.checkpointsRequested - then.checkpointsRequested,
      done: now.checkpointsDone - then.checkpointsDone,
    },
    checkpointBuffers: now.checkpointBuffers - then.checkpointBuffers,
    checkpointWriteMs: now.checkpointWriteMs - then.checkpointWriteMs,
    checkpointSyncMs: now.checkpointSyncMs - then.checkpointSyncMs,
    bgwriterBuffers: now.bgwriterBuffers - then.bgwriterBuffers,
    checkpointAt: now.lastCheckpointAt === then.lastCheckpointAt ? null : now.lastCheckpointAt,
    relationWrites,
    maintenance,
  };
}

export function printPgActivity(activity: PgActivity): void {
  const fixed = (value: number | undefined, digits = 3): string => (value ?? 0).toFixed(digits);
  const { perOperation: op } = activity;
  console.log(
    `postgres per operation: commits ${fixed(op.commits)}, WAL ${fixed(op.walBytes, 0)} B in ` +
      `${fixed(op.walRecords, 2)} records (${fixed(op.walFpi, 3)} full pages), WAL writes ` +
      `${fixed(op.walWrites)}, fsyncs ${fixed(op.walFsyncs)}` +
      (op.statementCalls === undefined
        ? ' (no pg_stat_statements)'
        : `; statements ${fixed(op.statementCalls)}, exec ${fixed(op.statementExecMs)} ms, ` +
          `planning ${fixed(op.statementPlanMs)} ms`),
  );
  const statements = activity.statements ?? [];
  if (statements.length > 0) {
    console.log('   calls    rows  exec µs  plan µs  plans  dirtied  WAL B  WAL fpi  statement');
    for (const row of statements.slice(0, TOP_STATEMENTS)) {
      console.log(
        `${fixed(row.calls).padStart(8)} ${fixed(row.rows, 2).padStart(7)} ${fixed(row.execMs * 1000, 1).padStart(8)} ` +
          `${fixed(row.planMs * 1000, 1).padStart(8)} ${fixed(row.plans, 3).padStart(6)} ` +
          `${fixed(row.blocksDirtied, 3).padStart(8)} ${fixed(row.walBytes, 0).padStart(6)} ` +
          `${fixed(row.walFpi, 3).padStart(8)}  ${row.query}`,
      );
    }
    const rest = statements.slice(TOP_STATEMENTS);
    if (rest.length > 0) {
      const sum = (pick: (row: (typeof rest)[number]) => number): number =>
        rest.reduce((total, row) => total + pick(row), 0);
      console.log(
        `${fixed(sum((row) => row.calls)).padStart(8)} ${''.padStart(7)} ${fixed(sum((row) => row.execMs) * 1000, 1).padStart(8)} ` +
          `${fixed(sum((row) => row.planMs) * 1000, 1).padStart(8)} ${''.padStart(6)} ${''.padStart(8)} ` +
          `${fixed(
            sum((row) => row.walBytes),
            0,
          ).padStart(6)} ${''.padStart(8)}  (${rest.length} others)`,
      );
    }
  }
  console.log('   table: inserted updated (HOT) deleted seq-scans index-scans per operation');
  for (const row of activity.tables) {
    console.log(
      `   ${row.table}: ${fixed(row.inserted)} ${fixed(row.updated)} (${fixed(row.hotUpdated)}) ` +
        `${fixed(row.deleted)} ${fixed(row.seqScans)} ${fixed(row.indexScans)}`,
    );
  }
  if (activity.walByRecord !== undefined) {
    const records = activity.walByRecord
      .filter((row) => row.count >= WAL_RECORDS_SHOWN_FROM)
      .map((row) => `${row.record} ${fixed(row.count, 2)} × ${fixed(row.bytes / row.count, 0)} B`)
      .join(', ');
    console.log(`   WAL records per operation: ${records}`);
  }
  const indexes = activity.indexScans.map((row) => `${row.index} ${fixed(row.scans)}`).join(', ');
  console.log(`   index scans per operation: ${indexes}`);
  printBackground(activity.background);
}

function printBackground(background: PgActivity['background']): void {
  const { checkpoints } = background;
  console.log(
    `   background, in all: checkpoints ${checkpoints.done} done (${checkpoints.timed} timed, ` +
      `${checkpoints.requested} requested)` +
      (background.checkpointAt === null ? '' : `, the latest at ${background.checkpointAt}`) +
      `: ${background.checkpointBuffers} blocks written in ${background.checkpointWriteMs.toFixed(0)} ms, ` +
      `synced in ${background.checkpointSyncMs.toFixed(0)} ms; background writer ${background.bgwriterBuffers} blocks; ` +
      `table and index blocks written by ${JSON.stringify(background.relationWrites)}`,
  );
  for (const row of background.maintenance) {
    console.log(
      `   ${row.table}: autovacuum ${row.autovacuums} (${row.autovacuumMs.toFixed(0)} ms, latest ${row.lastAutovacuum ?? '-'}), ` +
        `autoanalyze ${row.autoanalyzes} (${row.autoanalyzeMs.toFixed(0)} ms, latest ${row.lastAutoanalyze ?? '-'}), ` +
        `vacuum ${row.vacuums}, analyze ${row.analyzes}; ${row.deadTuples} dead rows now`,
    );
  }
}
