import type { Transaction, UnitOfWork } from './unit-of-work';

/** Identifies one command: each service processes a command once per (AOR, command id). */
export interface CommandKey {
  /** The service recording it (`auth`, `presence`, `im-router`): each owns its own claim. */
  service: string;
  aor: string;
  commandId: string;
}

/**
 * A command's result as stored (JSON, e.g. the `<type>.result` push). It comes back as `unknown`:
 * what was stored by an older release must be validated (e.g. with ResultPushSchema) before use.
 */
export type StoredResult = object | string | number | boolean | null;

export type IdempotencyClaim =
  | { kind: 'first' }
  /** `result` is null when the first run stored none. */
  | { kind: 'duplicate'; result: unknown };

/** Records processed commands in the same transaction as their effect (architecture.md, Idempotency). */
export interface IdempotencyStore {
  /**
   * Claims a command inside `tx`, storing `expectedResult` (null when omitted) as its result in
   * the same statement. A concurrent claim of the same key waits for this transaction and then
   * sees a duplicate (or the first claim if this one rolls back).
   */
  claim(tx: Transaction, key: CommandKey, expectedResult?: StoredResult): Promise<IdempotencyClaim>;
  /** Stores the result of a claimed command (as JSON), for re-sending to a duplicate. */
  storeResult(tx: Transaction, key: CommandKey, result: StoredResult): Promise<void>;
  /**
   * storeResult whose commit does not wait for the write-ahead log to reach the disk: only for
   * replacing a stored result when losing the replacement in a database crash is harmless.
   */
  storeResultUnflushed(tx: Transaction, key: CommandKey, result: StoredResult): Promise<void>;
}

/** A command to claim, with the result to store with its claim (null when omitted). */
export interface CommandClaim {
  key: CommandKey;
  expectedResult?: StoredResult;
}

/** An IdempotencyStore that claims the commands of a run together. */
export interface BatchIdempotencyStore extends IdempotencyStore {
  /**
   * Claims every command as `claim` does, with one insert for all (and one read of the stored
   * results of the duplicates, if any). Keys must be distinct. Returns the claims in input order.
   */
  claimAll(tx: Transaction, claims: readonly CommandClaim[]): Promise<IdempotencyClaim[]>;
}

/** A stored result as read back: `found` false when the command was never claimed. */
export type StoredLookup = { found: false } | { found: true; result: unknown };

/** Reads and replaces the stored results of many commands with one statement each. */
export interface BulkResultStore {
  /** The stored result of each key, in input order; claims nothing. */
  findResults(tx: Transaction, keys: readonly CommandKey[]): Promise<StoredLookup[]>;
  /**
   * storeResult of every entry in one statement; `unflushed` as storeResultUnflushed (only for
   * replacing results whose loss in a database crash is harmless).
   */
  storeResults(
    tx: Transaction,
    entries: ReadonlyArray<{ key: CommandKey; result: StoredResult }>,
    options?: { unflushed?: boolean },
  ): Promise<void>;
}

export type OnceOutcome<R extends StoredResult> =
  { duplicate: false; result: R } | { duplicate: true; storedResult: unknown };

/**
 * The idempotent command pattern in one place: claim, run the effect, store its result, all in
 * one transaction. A duplicate runs nothing and returns the stored result.
 *
 * `expectedResult`, when the caller knows what the effect usually returns (an ok result), is
 * stored with the claim: the result is written again only when the effect returned something
 * else, so the usual command costs one statement of idempotency instead of two.
 */
export async function processOnce<R extends StoredResult>(
  unitOfWork: UnitOfWork,
  store: IdempotencyStore,
  key: CommandKey,
  effect: (tx: Transaction) => Promise<R>,
  expectedResult?: R,
): Promise<OnceOutcome<R>> {
  return unitOfWork.run(async (tx): Promise<OnceOutcome<R>> => {
    const claim = await store.claim(tx, key, expectedResult);
    if (claim.kind === 'duplicate') {
      return { duplicate: true, storedResult: claim.result };
    }
    const result = await effect(tx);
    if (expectedResult === undefined || JSON.stringify(result) !== JSON.stringify(expectedResult)) {
      await store.storeResult(tx, key, result);
    }
    return { duplicate: false, result };
  });
}
