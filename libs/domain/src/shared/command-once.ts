import {
  type CommandOwner,
  type CommandReceivedV1,
  type ErrorCode,
  errorResult,
  isOwnedCommand,
  notOwnedMessage,
  type OwnedCommand,
  parseCommandObject,
  type ResultPush,
  ResultPushSchema,
  UNOWNED_COMMAND_OWNER,
} from '#herald/contracts';
import { type CommandKey, type IdempotencyStore, processOnce, type StoredResult } from './idempotency';
import type { Transaction, UnitOfWork } from './unit-of-work';

/** A device's command as its owner reads it: the command to run, or the result refusing it. */
export type ParsedOwnedCommand<O extends CommandOwner> =
  { kind: 'command'; command: OwnedCommand<O> } | { kind: 'refused'; result: ResultPush };

/**
 * Parses the envelope of a command `owner` received. A malformed command is refused with its
 * contract code; a type another service owns (a routing bug) `bad-request` naming its owner, so it
 * is answered rather than dropped; a type nobody owns `unknown-type` by the service that receives
 * those (UNOWNED_COMMAND_OWNER).
 */
export function parseOwnedCommand<O extends CommandOwner>(
  owner: O,
  envelope: CommandReceivedV1['envelope'],
): ParsedOwnedCommand<O> {
  const parsed = parseCommandObject(envelope);
  const refuse = (code: ErrorCode, message: string): ParsedOwnedCommand<O> => ({
    kind: 'refused',
    result: errorResult(envelope.type, envelope.id, code, message),
  });
  switch (parsed.kind) {
    case 'command':
      return isOwnedCommand(owner, parsed.command)
        ? { kind: 'command', command: parsed.command }
        : refuse('bad-request', notOwnedMessage(envelope.type, owner));
    case 'invalid-command':
      return refuse(parsed.code, parsed.message);
    case 'unknown-type':
      return owner === UNOWNED_COMMAND_OWNER
        ? refuse('unknown-type', parsed.message)
        : refuse('bad-request', notOwnedMessage(envelope.type, owner));
    case 'bad-envelope':
      // The event contract already validated the envelope; answer rather than drop it if a newer
      // envelope rule ever disagrees.
      return refuse('bad-request', parsed.reason);
  }
}

/** A stored result that is not a result push cannot be re-sent. */
export class StoredResultError extends Error {
  readonly code = 'STORED_RESULT_INVALID';
}

/** The result push a duplicate re-sends, as the first run stored it (this or an older release). */
export function storedResultPush(key: CommandKey, stored: unknown): ResultPush {
  const parsed = ResultPushSchema.safeParse(stored);
  if (!parsed.success) {
    throw new StoredResultError(
      `stored result of ${key.service} ${key.aor} ${key.commandId} is not a result push`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/** One command of a device, run once per key; `S` is what it stores for its duplicates. */
export interface CommandOnce<S extends StoredResult> {
  key: CommandKey;
  /** The command's effect, in the transaction that claims it. */
  effect: (tx: Transaction) => Promise<S>;
  /** What the effect usually returns, stored with the claim (see processOnce). */
  expectedResult?: S;
  /** Validates what a duplicate finds stored (written by this or an older release). */
  parseStored: (stored: unknown) => S;
  /** Replies to the first run and to every duplicate. */
  reply: (outputs: S) => Promise<unknown>;
}

/**
 * The command skeleton: claim the command, run its effect and store its result in one
 * transaction, then reply AFTER commit, so a client that acts on the reply reads the effect; if
 * the reply fails, the redelivered command is a duplicate that re-sends the stored result.
 */
export async function runCommandOnce<S extends StoredResult>(
  deps: { unitOfWork: UnitOfWork; idempotency: IdempotencyStore },
  { key, effect, expectedResult, parseStored, reply }: CommandOnce<S>,
): Promise<void> {
  const outcome = await processOnce(deps.unitOfWork, deps.idempotency, key, effect, expectedResult);
  await reply(outcome.duplicate ? parseStored(outcome.storedResult) : outcome.result);
}
