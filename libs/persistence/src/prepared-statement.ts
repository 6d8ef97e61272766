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
