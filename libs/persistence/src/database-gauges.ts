import { observeGauge } from '#herald/observability';
import type { DataSource } from 'typeorm';

/** The part of pg's Pool the pool gauges read. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  options: { max?: number };
}

/** pg's own default of `max`. */
const PG_DEFAULT_POOL_MAX = 10;

function poolOf(dataSource: DataSource): PoolCounts | undefined {
  if (!dataSource.isInitialized) return undefined;
  // TypeORM types the PostgreSQL driver's pool as `any`; it is pg's Pool.
  return (dataSource.driver as { master?: PoolCounts }).master;
}

/** Connections checked out of the DataSource's pg pool (0 before it is initialized or after it is destroyed). */
export function poolInUse(dataSource: DataSource): number {
  const pool = poolOf(dataSource);
  return pool === undefined ? 0 : pool.totalCount - pool.idleCount;
}

/** Connections the pool may open: herald_pg_pool_in_use at this value means callers queue. */
export function poolMax(dataSource: DataSource): number {
  const pool = poolOf(dataSource);
  return pool === undefined ? 0 : (pool.options.max ?? PG_DEFAULT_POOL_MAX);
}

/** Row counts the services' gauges read at each metrics collection (one cheap query each). */
const ROW_COUNT_QUERIES = {
  /** herald_sessions: logged-in device sessions. */
  sessions: 'SELECT count(*)::int AS n FROM sessions',
  /** herald_offline_store_depth: IMs not yet delivered (the partial index ix_messages_pending). */
  offlineStoreDepth: 'SELECT count(*)::int AS n FROM messages WHERE delivered_at IS NULL',
} as const;

export type DatabaseCountGauge = keyof typeof ROW_COUNT_QUERIES;

/** The current value of a row-count gauge. */
export async function countRows(dataSource: DataSource, gauge: DatabaseCountGauge): Promise<number> {
  const rows: { n: number }[] = await dataSource.query(ROW_COUNT_QUERIES[gauge]);
  return rows[0]?.n ?? 0;
}

/**
 * Feeds herald_pg_pool_in_use and herald_pg_pool_max from the DataSource's pool and the given row-count gauges from
 * queries run at collection (scrape or OTLP export); returns the removal, for shutdown. Call it
 * once per DataSource, in the process that owns it.
 */
export function observeDatabaseGauges(
  dataSource: DataSource,
  counts: readonly DatabaseCountGauge[] = [],
): () => void {
  const removals = [
    observeGauge('pgPoolInUse', () => poolInUse(dataSource)),
    observeGauge('pgPoolMax', () => poolMax(dataSource)),
    ...counts.map((gauge) => observeGauge(gauge, () => countRows(dataSource, gauge))),
  ];
  return () => {
    for (const remove of removals) remove();
  };
}
