import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { type EntityManager, QueryFailedError } from 'typeorm';

/**
 * A hot statement run as a named prepared statement: each connection parses it once, and
 * PostgreSQL then skips parsing and, once it settled on a generic plan, planning too. The name
 * comes from the text, so one name never stands for two texts.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/** The prepared statement of `text` (call once, at module load: hashing is not free). */
export function preparedStatement(text: string): PreparedStatement {
  return { name: `herald_${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`, text };
}

/**
 * A statement that selects rows by a set of keys, prepared twice: `keyMatch` is `= $1` for one key
 * and `= ANY($1::<type>[])` for several. PostgreSQL settles on one generic plan for `= $1` after
 * five executions, but plans `= ANY($1)` anew on every execution: its custom plan for a short array
 * always looks cheaper than the generic plan's guess of ten elements, and that planning cost
 * several times the execution (a push lookup: 0.06 ms to run, 0.28 to plan). At low load most
 * lookups are of one key.
 */
export interface KeySetStatement {
  readonly oneKey: PreparedStatement;
  readonly keys: PreparedStatement;
}

/** The KeySetStatement of `text(keyMatch)`, whose `$1` are the keys, of PostgreSQL type `keyType`. */
export function keySetStatement(keyType: string, text: (keyMatch: string) => string): KeySetStatement {
  return {
    oneKey: preparedStatement(text('= $1')),
    keys: preparedStatement(text(`= ANY($1::${keyType}[])`)),
  };
}

/** Runs `statement` for `keys` (at least one) and the other parameters `values` ($2 on). */
export function queryKeySet<R>(
  manager: EntityManager,
  statement: KeySetStatement,
  keys: readonly string[],
  values: unknown[] = [],
): Promise<R[]> {
  return keys.length === 1
    ? queryPrepared<R>(manager, statement.oneKey, [keys[0], ...values])
    : queryPrepared<R>(manager, statement.keys, [keys, ...values]);
}

/**
 * Runs `statement` with `values` on the manager's connection: the transaction's when it has one,
 * else a pooled connection for this statement alone (autocommit), like EntityManager.query. Logged
 * as TypeORM logs its queries, and failures are TypeORM's QueryFailedError, as from query().
 */
export async function queryPrepared<R>(
  manager: EntityManager,
  statement: PreparedStatement,
  values: unknown[],
): Promise<R[]> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const client = (await runner.connect()) as PoolClient;
    manager.connection.logger.logQuery(statement.text, values, runner);
    try {
      const result = await client.query<R & object>({
        name: statement.name,
        text: statement.text,
        values: values,
      });
      return result.rows;
    } catch (error) {
      const failed = new QueryFailedError(statement.text, values, error as Error);
      manager.connection.logger.logQueryError(failed, statement.text, values, runner);
      throw failed;
    }
  } finally {
    if (runner !== manager.queryRunner) await runner.release();
  }
}
