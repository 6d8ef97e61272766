import type {
  BatchIdempotencyStore,
  BulkResultStore,
  ClaimRetentionStore,
  CommandClaim,
  CommandKey,
  IdempotencyClaim,
  StoredLookup,
  StoredResult,
  Transaction,
} from '#herald/domain';
import { entityManagerOf } from './unit-of-work';
import { preparedStatement, queryPrepared } from './prepared-statement';

const REPLACING_RESULT = 'ON CONFLICT (service, aor, command_id) DO UPDATE SET result = EXCLUDED.result';

const CLAIM_ALL = preparedStatement(
  `INSERT INTO processed_commands (service, aor, command_id, result)
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]::jsonb[])
   ON CONFLICT DO NOTHING RETURNING service, aor, command_id`,
);

/**
 * The first CTEs of a statement that claims commands and acts on the ones claimed first (its $1–$4
 * from claimColumns): `claims`, the input with each claim's 1-based `position`, and `claimed`, the
 * keys inserted. As claimAll, each insert waits on a concurrent uncommitted claim of its key, then
 * conflicts.
 */
export const CLAIMS_CTE = `claims AS (
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]::jsonb[]) WITH ORDINALITY
       AS c(service, aor, command_id, result, position)
   ), claimed AS (
     INSERT INTO processed_commands (service, aor, command_id, result)
     SELECT service, aor, command_id, result FROM claims
     ON CONFLICT DO NOTHING RETURNING service, aor, command_id
   )`;

const FIND_RESULTS = preparedStatement(
  `SELECT service, aor, command_id, result FROM processed_commands
   WHERE (service, aor, command_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
);

/** As storeResult (or storeResultUnflushed, with `unflushed`), for every entry in one statement. */
function storingResults(unflushed: string): string {
  return `INSERT INTO processed_commands (service, aor, command_id, result)
   SELECT service, aor, command_id, result::jsonb
   FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS entry(service, aor, command_id, result)${unflushed}
   ${REPLACING_RESULT}`;
}
const STORE_RESULTS = preparedStatement(storingResults(''));
const STORE_RESULTS_UNFLUSHED = preparedStatement(
  storingResults(`, (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed`),
);

/** IdempotencyStore on table `processed_commands`, inside the caller's transaction. */
export class SqlIdempotencyStore implements BatchIdempotencyStore, BulkResultStore, ClaimRetentionStore {
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

  async claimAll(tx: Transaction, claims: readonly CommandClaim[]): Promise<IdempotencyClaim[]> {
    if (claims.length === 0) {
      return [];
    }
    // As claim: each insert waits on a concurrent uncommitted claim of its key, then conflicts.
    const inserted = await queryPrepared<{ service: string; aor: string; command_id: string }>(
      entityManagerOf(tx),
      CLAIM_ALL,
      claimColumns(claims),
    );
    const claimed = new Set(inserted.map((row) => keyIdentity(row.service, row.aor, row.command_id)));
    return claimsOf(tx, claims, (index) => {
      const { key } = claims[index]!;
      return claimed.has(keyIdentity(key.service, key.aor, key.commandId));
    });
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

  findResults(tx: Transaction, keys: readonly CommandKey[]): Promise<StoredLookup[]> {
    return findResults(tx, keys);
  }

  async storeResults(
    tx: Transaction,
    entries: ReadonlyArray<{ key: CommandKey; result: StoredResult }>,
    options?: { unflushed?: boolean },
  ): Promise<void> {
    if (entries.length === 0) {
      return;
    }
    await queryPrepared(
      entityManagerOf(tx),
      options?.unflushed === true ? STORE_RESULTS_UNFLUSHED : STORE_RESULTS,
      [...keyColumns(entries.map(({ key }) => key)), entries.map(({ result }) => JSON.stringify(result))],
    );
  }

  async deleteClaimsBefore(tx: Transaction, service: string, before: Date, limit: number): Promise<number> {
    // Oldest first, by the created_at index; rows locked elsewhere are left to the next sweep.
    const [{ deleted }]: Array<{ deleted: number }> = await entityManagerOf(tx).query(
      `WITH old AS (
         SELECT ctid FROM processed_commands
         WHERE created_at < $2 AND service = $1
           AND coalesce(jsonb_array_length(CASE WHEN jsonb_typeof(result -> 'events') = 'array'
                                               THEN result -> 'events' END), 0) = 0
         ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED
       ), removed AS (
         DELETE FROM processed_commands WHERE ctid IN (SELECT ctid FROM old) RETURNING 1
       )
       SELECT count(*)::int AS deleted FROM removed`,
      [service, before, limit],
    );
    return deleted;
  }
}

/** The columns ($1–$4) of a claims insert: service, aor, command id, the expected result as JSON. */
export function claimColumns(
  claims: readonly CommandClaim[],
): [string[], string[], string[], Array<string | null>] {
  return [
    ...keyColumns(claims.map(({ key }) => key)),
    claims.map(({ expectedResult }) =>
      expectedResult === undefined ? null : JSON.stringify(expectedResult),
    ),
  ];
}

/**
 * The claims of `claims` in input order, given which were claimed `first` (by index), with one
 * read of the duplicates' stored results, if any: a new statement, whose snapshot sees the rows of
 * the concurrent claims the insert waited for.
 */
export async function claimsOf(
  tx: Transaction,
  claims: readonly CommandClaim[],
  first: (index: number) => boolean,
): Promise<IdempotencyClaim[]> {
  const duplicates = claims.flatMap(({ key }, index) => (first(index) ? [] : [key]));
  const stored = await findResults(tx, duplicates);
  let duplicate = 0;
  return claims.map((_, index): IdempotencyClaim => {
    if (first(index)) return { kind: 'first' };
    const lookup = stored[duplicate++]!;
    return { kind: 'duplicate', result: lookup.found ? lookup.result : null };
  });
}

/** The stored result of each key, in input order (one statement; none for no key). */
async function findResults(tx: Transaction, keys: readonly CommandKey[]): Promise<StoredLookup[]> {
  if (keys.length === 0) {
    return [];
  }
  const rows = await queryPrepared<{ service: string; aor: string; command_id: string; result: unknown }>(
    entityManagerOf(tx),
    FIND_RESULTS,
    keyColumns(keys),
  );
  const stored = new Map(rows.map((row) => [keyIdentity(row.service, row.aor, row.command_id), row.result]));
  return keys.map((key): StoredLookup => {
    const identity = keyIdentity(key.service, key.aor, key.commandId);
    return stored.has(identity) ? { found: true, result: stored.get(identity) ?? null } : { found: false };
  });
}

function keyColumns(keys: readonly CommandKey[]): [string[], string[], string[]] {
  return [keys.map((key) => key.service), keys.map((key) => key.aor), keys.map((key) => key.commandId)];
}

function resultValues(key: CommandKey, result: StoredResult): unknown[] {
  return [key.service, key.aor, key.commandId, JSON.stringify(result)];
}

function keyIdentity(service: string, aor: string, commandId: string): string {
  return JSON.stringify([service, aor, commandId]);
}
