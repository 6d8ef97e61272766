import type {
  InFlightFilter,
  DeliveryAttempt,
  InsertedMessage,
  MessageStore,
  NewMessage,
  PushOutcomeKind,
  SettledPush,
  StoredMessage,
  Transaction,
} from '#herald/domain';
import type { EntityManager } from 'typeorm';
import { entityManagerOf } from '../unit-of-work';

interface MessageRow {
  id: string;
  sender_aor: string;
  command_id: string;
  message_id: string;
  recipient_aor: string;
  text: string;
  sent_at: Date;
}

const MESSAGE_COLUMNS = 'id, sender_aor, command_id, message_id, recipient_aor, text, sent_at';

/** Namespaces the recipient advisory locks apart from other users of pg advisory locks. */
const RECIPIENT_LOCK_PREFIX = 'herald-im-recipient:';
/** Takes the lock of a recipient (a parameter holding RECIPIENT_LOCK_PREFIX + AOR) until the transaction ends. */
function recipientLock(parameter: string): string {
  return `pg_advisory_xact_lock(hashtextextended(${parameter}, 0))`;
}

/** MessageStore on `messages` and `message_deliveries`, inside the caller's transaction. */
export class TypeOrmMessageStore implements MessageStore {
  async lockRecipient(tx: Transaction, recipientAor: string): Promise<void> {
    await entityManagerOf(tx).query(`SELECT ${recipientLock('$1')}`, [RECIPIENT_LOCK_PREFIX + recipientAor]);
  }

  async insert(tx: Transaction, message: NewMessage): Promise<InsertedMessage> {
    const manager = entityManagerOf(tx);
    // One round trip: the row is produced only once the recipient lock is held. The insert needs
    // no later snapshot (ON CONFLICT sees rows committed meanwhile); every statement after it
    // does see what the previous lock holder committed. A concurrent insert of the same
    // (sender, messageId) waits for the other transaction, then conflicts.
    const inserted: MessageRow[] = await manager.query(
      `INSERT INTO messages (sender_aor, command_id, message_id, recipient_aor, text, sent_at)
       SELECT $1, $2, $3, $4, $5, $6::timestamptz FROM (SELECT ${recipientLock('$7')}) AS recipient_lock
       ON CONFLICT (sender_aor, message_id) DO NOTHING
       RETURNING ${MESSAGE_COLUMNS}`,
      [
        message.senderAor,
        message.commandId,
        message.messageId,
        message.recipientAor,
        message.text,
        message.sentAt,
        RECIPIENT_LOCK_PREFIX + message.recipientAor,
      ],
    );
    if (inserted.length > 0) {
      return { created: true, message: toMessage(inserted[0]) };
    }
    return { created: false, message: await existingMessage(manager, message) };
  }

  async pendingFor(
    tx: Transaction,
    recipientAor: string,
    notInFlightTo?: InFlightFilter,
  ): Promise<StoredMessage[]> {
    const rows: MessageRow[] = await entityManagerOf(tx).query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m
       WHERE recipient_aor = $1 AND delivered_at IS NULL
         AND NOT EXISTS (
           SELECT 1 FROM message_deliveries d
           WHERE d.message_key = m.id AND d.device_id = $2 AND d.outcome IS NULL AND d.attempted_at >= $3)
       ORDER BY seq`,
      [recipientAor, notInFlightTo?.deviceId ?? null, notInFlightTo?.since ?? null],
    );
    return rows.map(toMessage);
  }

  async recordAttempts(tx: Transaction, attempts: readonly DeliveryAttempt[]): Promise<void> {
    if (attempts.length === 0) {
      return;
    }
    await entityManagerOf(tx).query(
      `INSERT INTO message_deliveries (push_id, message_key, recipient_aor, device_id, attempted_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])`,
      [
        attempts.map((a) => a.pushId),
        attempts.map((a) => a.messageKey),
        attempts.map((a) => a.recipientAor),
        attempts.map((a) => a.deviceId),
        attempts.map((a) => a.attemptedAt),
      ],
    );
  }

  async recordOutcome(
    tx: Transaction,
    pushId: string,
    outcome: PushOutcomeKind,
    at: Date,
  ): Promise<SettledPush | undefined> {
    // The SELECT reads the message as it was before `delivered` (one snapshot per statement):
    // only its unchanging columns are used.
    const rows: Array<MessageRow & { first_answer: boolean }> = await entityManagerOf(tx).query(
      `WITH settled AS (
         UPDATE message_deliveries SET outcome = $2, outcome_at = $3 WHERE push_id = $1 RETURNING message_key
       ), delivered AS (
         UPDATE messages SET delivered_at = $3
         WHERE $2 = 'answered' AND id = (SELECT message_key FROM settled) AND delivered_at IS NULL
         RETURNING id
       )
       SELECT ${MESSAGE_COLUMNS}, EXISTS (SELECT 1 FROM delivered) AS first_answer
       FROM messages WHERE id = (SELECT message_key FROM settled)`,
      [pushId, outcome, at],
    );
    return rows.length > 0 ? { message: toMessage(rows[0]), firstAnswer: rows[0].first_answer } : undefined;
  }

  async markStoredIfUnreachable(tx: Transaction, messageKey: string, at: Date): Promise<boolean> {
    return updatedOne(
      entityManagerOf(tx),
      `UPDATE messages SET stored_notified_at = $2
       WHERE id = $1 AND delivered_at IS NULL AND stored_notified_at IS NULL
         AND NOT EXISTS (
           SELECT 1 FROM message_deliveries
           WHERE message_key = $1 AND (outcome IS NULL OR outcome = 'answered')
         )
       RETURNING 1`,
      [messageKey, at],
    );
  }
}

/**
 * Runs an `UPDATE … RETURNING` and says whether it changed a row. Wrapped in a CTE because
 * TypeORM returns `[rows, rowCount]` for a bare UPDATE but plain rows for a SELECT.
 */
async function updatedOne(manager: EntityManager, update: string, parameters: unknown[]): Promise<boolean> {
  const rows: Array<{ changed: number }> = await manager.query(
    `WITH changed AS (${update}) SELECT count(*)::int AS changed FROM changed`,
    parameters,
  );
  return rows[0].changed > 0;
}

async function existingMessage(manager: EntityManager, message: NewMessage): Promise<StoredMessage> {
  const rows: MessageRow[] = await manager.query(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_aor = $1 AND message_id = $2`,
    [message.senderAor, message.messageId],
  );
  return toMessage(rows[0]);
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    key: row.id,
    senderAor: row.sender_aor,
    commandId: row.command_id,
    messageId: row.message_id,
    recipientAor: row.recipient_aor,
    text: row.text,
    sentAt: row.sent_at,
  };
}
