import type {
  CommandKey,
  IdempotencyClaim,
  IdempotencyStore,
  StoredResult,
  Transaction,
} from '#herald/domain';
import { entityManagerOf } from './unit-of-work';

/** IdempotencyStore on table `processed_commands`, inside the caller's transaction. */
export class TypeOrmIdempotencyStore implements IdempotencyStore {
  async claim(tx: Transaction, key: CommandKey, expectedResult?: StoredResult): Promise<IdempotencyClaim> {
    const manager = entityManagerOf(tx);
    // The insert waits on a concurrent uncommitted claim of the same key, then conflicts.
    const inserted: unknown[] = await manager.query(
      `INSERT INTO processed_commands (service, aor, command_id, result) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [
        key.service,
        key.aor,
        key.commandId,
        expectedResult === undefined ? null : JSON.stringify(expectedResult),
      ],
    );
    if (inserted.length > 0) {
      return { kind: 'first' };
    }
    const rows: Array<{ result: unknown }> = await manager.query(
      `SELECT result FROM processed_commands WHERE service = $1 AND aor = $2 AND command_id = $3`,
      [key.service, key.aor, key.commandId],
    );
    return { kind: 'duplicate', result: rows[0]?.result ?? null };
  }

  async storeResult(tx: Transaction, key: CommandKey, result: StoredResult): Promise<void> {
    // An upsert, so a result is never lost even when the caller skipped the claim.
    await entityManagerOf(tx).query(
      `INSERT INTO processed_commands (service, aor, command_id, result) VALUES ($1, $2, $3, $4::jsonb)
       ${REPLACING_RESULT}`,
      resultValues(key, result),
    );
  }

  async storeResultUnflushed(tx: Transaction, key: CommandKey, result: StoredResult): Promise<void> {
    // set_config(…, true) lasts until the end of the transaction, the statement's own one in
    // autocommit: its commit then returns before the WAL flush (asynchronous commit).
    await entityManagerOf(tx).query(
      `INSERT INTO processed_commands (service, aor, command_id, result)
       SELECT $1, $2, $3, $4::jsonb FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed
       ${REPLACING_RESULT}`,
      resultValues(key, result),
    );
  }
}

const REPLACING_RESULT = 'ON CONFLICT (service, aor, command_id) DO UPDATE SET result = EXCLUDED.result';

function resultValues(key: CommandKey, result: StoredResult): unknown[] {
  return [key.service, key.aor, key.commandId, JSON.stringify(result)];
}
