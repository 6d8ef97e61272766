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
  const names = new Map<string, string>();
  // Named, so each connection parses and plans a statement once, then only binds and runs it: the
  // journal's few statements repeat for ever (planning the INSERT cost ~45 µs a call).
  const nameOf = (text: string): string => {
    let name = names.get(text);
    if (name === undefined) {
      name = `herald_bus_journal_${names.size}`;
      names.set(text, name);
    }
    return name;
  };
  return {
    pool,
    sql: { query: (text, params) => pool.query({ name: nameOf(text), text, values: [...params] }) },
  };
}
