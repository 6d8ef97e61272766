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
 * Executions of a statement on one connection at which it is prepared anew (a new name, and a text
 * with a new comment, so that a PgBouncer tracking prepared statements by text prepares it anew too).
 * PostgreSQL keeps the generic plan it settles on until the table's statistics change (ANALYZE), and
 * one made while a table was small (a new deployment, statistics of an empty table) reads it whole:
 * a settle scanned every stored message until the next autoanalyze, up to a minute and 45,000
 * messages later at 750 IM/s. Prepared anew, the statement is planned on the table's present size
 * (PostgreSQL scales the statistics by the table's present pages). Each costs five custom plans; the
 * replaced statement stays prepared until the connection ends (a plain DEALLOCATE fails behind
 * PgBouncer), hence five of them at most, each at four times the executions of the one before: a
 * table that grows with the statement's executions is planned on at least a quarter of its present
 * size, and past 25,600 runs it is large enough for its plan to read it by index (the next ANALYZE
 * re-plans anyway). Foreign-key checks are PostgreSQL's own prepared statements, out of reach here:
 * a message_deliveries insert's check of its message still scans `messages` until the next ANALYZE
 * (bench/README.md, session 12, perf-plans12).
 */
const PLANNED_AGAIN_AT_EXECUTIONS = [100, 400, 1_600, 6_400, 25_600];

/** Per connection, the executions of each statement (by name), to prepare it anew at those counts. */
const executionsByConnection = new WeakMap<PoolClient, Map<string, number>>();

/** Per statement, its preparations anew, made once (the text is compared at each execution). */
const preparedAgainOf = new WeakMap<PreparedStatement, PreparedStatement[]>();

/** The statement as prepared for its `executions`-th execution (from 0) on a connection. */
export function preparedFor(statement: PreparedStatement, executions: number): PreparedStatement {
  let generation = 0;
  while (
    generation < PLANNED_AGAIN_AT_EXECUTIONS.length &&
    executions >= PLANNED_AGAIN_AT_EXECUTIONS[generation]!
  ) {
    generation += 1;
  }
  if (generation === 0) {
    return statement;
  }
  let preparedAgain = preparedAgainOf.get(statement);
  if (preparedAgain === undefined) {
    preparedAgain = PLANNED_AGAIN_AT_EXECUTIONS.map((_, index) => ({
      name: `${statement.name}_${index + 1}`,
      text: `${statement.text}\n-- planned again (${index + 1})`,
    }));
    preparedAgainOf.set(statement, preparedAgain);
  }
  return preparedAgain[generation - 1]!;
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
    const executions = executionsOf(client);
    const executed = executions.get(statement.name) ?? 0;
    const { name, text } = preparedFor(statement, executed);
    try {
      const result = await client.query<R & object>({ name, text, values: values });
      executions.set(statement.name, executed + 1);
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

function executionsOf(client: PoolClient): Map<string, number> {
  let executions = executionsByConnection.get(client);
  if (executions === undefined) {
    executions = new Map();
    executionsByConnection.set(client, executions);
  }
  return executions;
}
