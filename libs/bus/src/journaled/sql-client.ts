/**
 * The one thing the journaled bus needs from a database: run a statement with positional
 * parameters ($1, $2, …) and get its rows. A pg Pool fits (`(sql, params) => pool.query(sql, params)`);
 * libs/bus stays free of any persistence library.
 */
export interface SqlClient {
  query(sql: string, params: ReadonlyArray<unknown>): Promise<SqlResult>;
}

export interface SqlResult {
  rows: ReadonlyArray<Record<string, unknown>>;
  rowCount: number | null;
}
