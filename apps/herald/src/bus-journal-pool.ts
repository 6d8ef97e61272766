import { Pool } from 'pg';
import type { SqlClient } from '#herald/bus';

/**
 * Connections of the bus journal. Its own pool, not the services' DataSource: a handler holding a
 * pooled connection while it publishes must never wait for a connection the same pool lent out.
 */
export const BUS_JOURNAL_POOL_SIZE = 4;

/**
 * A pg Pool for the journaled bus, and the SqlClient port on it. `onIdleClientError` hears of
 * idle connections PostgreSQL dropped (without a listener pg would crash the process); the next
 * query opens a new one.
 */
export function createBusJournalPool(
  url: string,
  onIdleClientError: (error: Error) => void,
): { pool: Pool; sql: SqlClient } {
  const pool = new Pool({
    connectionString: url,
    max: BUS_JOURNAL_POOL_SIZE,
    application_name: 'herald-embedded-bus',
  });
  pool.on('error', onIdleClientError);
  return { pool, sql: { query: (text, params) => pool.query(text, [...params]) } };
}
