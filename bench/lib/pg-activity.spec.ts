import { pgActivity, type PgSnapshot } from './pg-activity';

function snapshot(overrides: Partial<PgSnapshot>): PgSnapshot {
  return {
    statements: undefined,
    tables: {},
    maintenance: {},
    background: background({}),
    indexScans: {},
    wal: { records: 0, fpi: 0, bytes: 0, buffersFull: 0, writes: 0, fsyncs: 0 },
    commits: 0,
    rollbacks: 0,
    walLsn: '0/0',
    ...overrides,
  };
}

function background(overrides: Partial<PgSnapshot['background']>): PgSnapshot['background'] {
  return {
    checkpointsTimed: 0,
    checkpointsRequested: 0,
    checkpointsDone: 0,
    checkpointBuffers: 0,
    checkpointWriteMs: 0,
    checkpointSyncMs: 0,
    bgwriterBuffers: 0,
    lastCheckpointAt: '2026-12-07T12:00:00+00:00',
    relationWrites: {},
    ...overrides,
  };
}

const vacuumed = (autovacuums: number, lastAutovacuum: string | null) => ({
  autovacuums,
  autoanalyzes: 0,
  vacuums: 0,
  analyzes: 0,
  autovacuumMs: autovacuums * 20,
  autoanalyzeMs: 0,
  lastAutovacuum,
  lastAutoanalyze: null,
  deadTuples: 7,
});

const statement = (query: string, calls: number, walBytes: number) => ({
  query,
  calls,
  rows: calls,
  execMs: calls / 10,
  planMs: 0,
  plans: 1,
  blocksDirtied: 0,
  blocksWritten: 0,
  walRecords: calls,
  walFpi: 0,
  walBytes,
});

describe('pgActivity', () => {
  it('divides what happened between two snapshots by the operations', () => {
    const before = snapshot({
      commits: 10,
      wal: { records: 100, fpi: 1, bytes: 10_000, buffersFull: 0, writes: 5, fsyncs: 5 },
      tables: {
        messages: { inserted: 4, updated: 4, hotUpdated: 0, deleted: 0, seqScans: 0, indexScans: 8 },
      },
      indexScans: { pk_messages: 8 },
      statements: { '1': statement('INSERT INTO messages', 4, 2_000) },
    });
    const after = snapshot({
      commits: 30,
      wal: { records: 300, fpi: 1, bytes: 50_000, buffersFull: 0, writes: 15, fsyncs: 13 },
      tables: {
        messages: { inserted: 24, updated: 24, hotUpdated: 10, deleted: 0, seqScans: 0, indexScans: 48 },
        accounts: { inserted: 0, updated: 0, hotUpdated: 0, deleted: 0, seqScans: 0, indexScans: 0 },
      },
      indexScans: { pk_messages: 48, pk_accounts: 0 },
      statements: {
        '1': statement('INSERT INTO messages', 24, 12_000),
        '2': statement('SELECT 1', 0, 0),
        '3': statement('SELECT relname FROM pg_stat_user_tables', 2, 0),
      },
      walByRecord: { 'Heap/INSERT': { count: 40, bytes: 8_000, fpiBytes: 0 } },
    });
    const activity = pgActivity(before, after, 20);
    expect(activity.perOperation).toEqual({
      commits: 1,
      walRecords: 10,
      walFpi: 0,
      walBytes: 2_000,
      walWrites: 0.5,
      walFsyncs: 0.4,
      statementCalls: 1,
      statementExecMs: 0.1,
      statementPlanMs: 0,
    });
    // Untouched tables and statements not run in the step (or the snapshots' own) are left out.
    expect(activity.tables).toEqual([
      { table: 'messages', inserted: 1, updated: 1, hotUpdated: 0.5, deleted: 0, seqScans: 0, indexScans: 2 },
    ]);
    expect(activity.statements?.map(({ query, calls, walBytes }) => ({ query, calls, walBytes }))).toEqual([
      { query: 'INSERT INTO messages', calls: 1, walBytes: 500 },
    ]);
    expect(activity.indexScans).toEqual([
      { index: 'pk_messages', scans: 2 },
      { index: 'pk_accounts', scans: 0 },
    ]);
    expect(activity.walByRecord).toEqual([{ record: 'Heap/INSERT', count: 2, bytes: 400, fpiBytes: 0 }]);
  });

  it('has no per-statement figures when the server does not preload pg_stat_statements', () => {
    const activity = pgActivity(snapshot({}), snapshot({ commits: 4 }), 0);
    expect(activity.statements).toBeUndefined();
    expect(activity.perOperation.statementCalls).toBeUndefined();
    expect(activity.perOperation.commits).toBe(4);
  });

  it('gives the checkpoints, blocks written and vacuums between the snapshots in all, not per operation', () => {
    const before = snapshot({
      background: background({
        checkpointsTimed: 1,
        checkpointsDone: 1,
        checkpointBuffers: 100,
        relationWrites: { checkpointer: 100 },
      }),
      maintenance: { registrations: vacuumed(0, null), accounts: vacuumed(1, '2026-12-07T11:59:00+00:00') },
    });
    const after = snapshot({
      background: background({
        checkpointsTimed: 2,
        checkpointsDone: 2,
        checkpointBuffers: 350,
        checkpointWriteMs: 40,
        lastCheckpointAt: '2026-12-07T12:05:00+00:00',
        relationWrites: { checkpointer: 350, 'autovacuum worker': 3 },
      }),
      maintenance: {
        registrations: vacuumed(1, '2026-12-07T12:04:00+00:00'),
        accounts: vacuumed(1, '2026-12-07T11:59:00+00:00'),
      },
    });
    const { background: between } = pgActivity(before, after, 1_000);
    expect(between).toEqual({
      checkpoints: { timed: 1, requested: 0, done: 1 },
      checkpointBuffers: 250,
      checkpointWriteMs: 40,
      checkpointSyncMs: 0,
      bgwriterBuffers: 0,
      checkpointAt: '2026-12-07T12:05:00+00:00',
      relationWrites: { checkpointer: 250, 'autovacuum worker': 3 },
      // accounts was not vacuumed in between: left out.
      maintenance: [{ table: 'registrations', ...vacuumed(1, '2026-12-07T12:04:00+00:00') }],
    });
  });

  it('names no checkpoint when the latest is the one before the first snapshot', () => {
    const { background: between } = pgActivity(snapshot({}), snapshot({}), 1);
    expect(between.checkpointAt).toBeNull();
    expect(between.maintenance).toEqual([]);
  });
});
