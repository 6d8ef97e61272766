import { randomUUID } from 'node:crypto';
import type { InsertedMessage, NewMessage, Transaction } from '#herald/domain';
import type { SqlMessageStore } from '#herald/persistence';

/** The service of the claims insertMessages takes: apart from every service's own. */
const TEST_CLAIM_SERVICE = 'test-messages';

/**
 * Stores messages through MessageStore.claimAndInsertAll, as im-router does, each with a claim of
 * its own that is always first (a fresh command key): what each message became, in input order.
 */
export async function insertMessages(
  store: SqlMessageStore,
  tx: Transaction,
  messages: readonly NewMessage[],
): Promise<InsertedMessage[]> {
  const claimed = await store.claimAndInsertAll(
    tx,
    messages.map((message) => ({
      key: { service: TEST_CLAIM_SERVICE, aor: message.senderAor, commandId: randomUUID() },
    })),
    messages.map((message, claim) => ({ claim, message })),
  );
  return claimed.messages.map((inserted, index) => {
    if (inserted === undefined) {
      throw new Error(`message ${messages[index]!.messageId}: its fresh claim was not first`);
    }
    return inserted;
  });
}
