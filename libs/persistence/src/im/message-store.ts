import {
  type ClaimedMessage,
  type CommandClaim,
  type IdempotencyClaim,
  inLockOrder,
  type InFlightFilter,
  type DeliveryAttempt,
  type InsertedMessage,
  type MessageStore,
  type NewMessage,
  type RecordedOutcome,
  type SettledPush,
  type StoredMessage,
  type Transaction,
  type UndeliveredMessage,
} from '#herald/domain';
import type { EntityManager } from 'typeorm';
import { CLAIMS_CTE, claimColumns, claimsOf } from '../idempotency';
import { PersistenceError } from '../persistence-error';
import { preparedStatement, queryPrepared } from '../prepared-statement';
import { columnList, type RowOf } from '../table';
import { entityManagerOf } from '../unit-of-work';
import { MESSAGES } from './im.tables';

/** What a StoredMessage is read from. */
const MESSAGE_FIELDS = [
  'id',
  'sender_aor',
  'command_id',
  'message_id',
  'recipient_aor',
  'text',
  'sent_at',
] as const;

type MessageRow = RowOf<typeof MESSAGES, (typeof MESSAGE_FIELDS)[number]>;

const MESSAGE_COLUMNS = columnList(MESSAGES, MESSAGE_FIELDS);
/** MESSAGE_COLUMNS of the table aliased `m`. */
const MESSAGE_COLUMNS_OF_M = columnList(MESSAGES, MESSAGE_FIELDS, 'm');

/** Namespaces the recipient advisory locks apart from other users of pg advisory locks. */
const RECIPIENT_LOCK_PREFIX = 'herald-im-recipient:';

/**
 * A one-row subquery that takes the locks of the recipients in a text[] parameter (from
 * recipientLockKeys) in array order, each until the transaction ends; with `after` (a condition
 * on a subquery), only once that subquery has run.
 */
function recipientLocks(parameter: string, after?: string): string {
  return `(SELECT count(*) FROM (
    SELECT pg_advisory_xact_lock(hashtextextended(lock_key, 0)) FROM unnest(${parameter}::text[]) AS lock_key${
      after === undefined
        ? ''
        : `
    WHERE ${after}`
    }
  ) AS locked)`;
}

/** The lock keys of the recipients, in the one lock order. */
function recipientLockKeys(recipientAors: readonly string[]): string[] {
  return inLockOrder(recipientAors.map((aor) => RECIPIENT_LOCK_PREFIX + aor));
}

const LOCK_RECIPIENTS = preparedStatement(`SELECT ${recipientLocks('$1')} AS locked`);

// The claims first: the recipients' locks wait for the count of the first claims, which drains
// the claims' insert (each claim waits on a concurrent uncommitted claim of its key, then
// conflicts). Message rows are produced only once every recipient lock is held (in lock order),
// and only for the messages whose claim was first. The locks are a CTE, taken once: as a subquery
// joined to the messages, the plan took them again for every message (EXPLAIN: loops=N). The
// insert needs no later snapshot (ON CONFLICT sees rows committed meanwhile; a second row of one
// (sender, messageId) conflicts with the first).
const CLAIM_AND_INSERT = preparedStatement(
  `WITH ${CLAIMS_CTE}, first_claims AS (
     SELECT c.position FROM claims c JOIN claimed USING (service, aor, command_id)
   ), recipient_locks AS MATERIALIZED (
     SELECT * FROM ${recipientLocks('$12', '(SELECT count(*) FROM first_claims) >= 0')} AS locked
   ), inserted AS (
     INSERT INTO messages (sender_aor, command_id, message_id, recipient_aor, text, sent_at)
     SELECT m.sender_aor, m.command_id, m.message_id, m.recipient_aor, m.text, m.sent_at
     FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])
            WITH ORDINALITY AS m(claim_position, sender_aor, command_id, message_id, recipient_aor, text, sent_at, position)
     CROSS JOIN recipient_locks
     WHERE m.claim_position IN (SELECT position FROM first_claims)
     ORDER BY m.position
     ON CONFLICT (sender_aor, message_id) DO NOTHING
     RETURNING ${MESSAGE_COLUMNS}
   )
   SELECT position AS first_claim, NULL::uuid AS id, NULL::text AS sender_aor, NULL::text AS command_id,
          NULL::text AS message_id, NULL::text AS recipient_aor, NULL::text AS text, NULL::timestamptz AS sent_at
   FROM first_claims
   UNION ALL
   SELECT NULL, ${MESSAGE_COLUMNS} FROM inserted`,
);

const EXISTING_MESSAGES = preparedStatement(
  `SELECT ${MESSAGE_COLUMNS} FROM messages
   WHERE (sender_aor, message_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
);

const PENDING_FOR = preparedStatement(
  `SELECT ${MESSAGE_COLUMNS} FROM messages m
   WHERE recipient_aor = $1 AND delivered_at IS NULL
     AND NOT EXISTS (
       SELECT 1 FROM message_deliveries d
       WHERE d.message_key = m.id AND d.device_id = $2 AND d.outcome IS NULL AND d.attempted_at >= $3)
   ORDER BY seq`,
);

// A push id is the same each time a message goes to a device (deliveryPushId): pushed again (at a
// login, after a timeout), the attempt is in flight again.
function recordingAttempts(first: number): string {
  const [pushIds, messageKeys, recipients, devices, attemptedAt] = [0, 1, 2, 3, 4].map(
    (i) => `$${first + i}`,
  );
  return `INSERT INTO message_deliveries (push_id, message_key, recipient_aor, device_id, attempted_at)
   SELECT * FROM unnest(${pushIds}::text[], ${messageKeys}::uuid[], ${recipients}::text[], ${devices}::text[],
                        ${attemptedAt}::timestamptz[])
   ON CONFLICT (push_id) DO UPDATE
     SET attempted_at = EXCLUDED.attempted_at, outcome = NULL, outcome_at = NULL`;
}
const RECORD_ATTEMPTS = preparedStatement(recordingAttempts(1));

// Outcomes apply in input order: of several outcomes of one push the last one stays, and the first
// `answered` of a message (by position) marks it delivered, naming its push. The final SELECT reads
// the messages as they were before `delivered` (one snapshot per statement): `first_answer` is the
// answer that marks it now, or an answer of the push that marked it before (a redelivered outcome,
// whose `delivered` notice may not have gone out: ImSettle publishes it after the commit).
// Every row is reached through its primary key whatever the statistics say: the plan of a prepared
// statement is kept per connection, and one made while the tables were small (a new deployment,
// before autovacuum's first ANALYZE) hash-joined them whole, a scan of every stored message per
// settle as they grew (10,000 rows and ~20 ms per group at 750 IM/s in cpu-per-op). Hence the
// redundant `= ANY(ARRAY(...))` keys, and `(delivered_at IS NULL) IS TRUE`, which the partial index
// ix_messages_pending (every undelivered message) cannot serve.
// With `attempts`, the statement also records delivery attempts ($4 to $8, as RECORD_ATTEMPTS):
// one round trip for a group's new pushes and its outcomes. The insert's rows are not in the
// statement's snapshot, so the outcomes never find them; MessageStore.recordOutcomes requires that
// they are pushes of other messages, which no outcome of the statement can be of (a row updated by
// both would be updated once, unpredictably).
function recordingOutcomes(input: string, attempts: 'with-attempts' | 'alone'): string {
  const attempted = attempts === 'with-attempts' ? `attempted AS (${recordingAttempts(4)}), ` : '';
  return `WITH ${attempted}input AS (${input}), latest AS (
     SELECT DISTINCT ON (push_id) push_id, outcome, at FROM input ORDER BY push_id, position DESC
   ), settled AS (
     UPDATE message_deliveries d SET outcome = l.outcome, outcome_at = l.at
     FROM latest l WHERE d.push_id = l.push_id AND d.push_id = ANY(ARRAY(SELECT push_id FROM latest))
     RETURNING d.push_id, d.message_key
   ), first_answers AS (
     SELECT DISTINCT ON (s.message_key) s.message_key, i.position, i.at, i.push_id
     FROM input i JOIN settled s ON s.push_id = i.push_id
     WHERE i.outcome = 'answered'
     ORDER BY s.message_key, i.position
   ), delivered AS (
     UPDATE messages m SET delivered_at = f.at, delivered_push_id = f.push_id FROM first_answers f
     WHERE m.id = f.message_key AND m.id = ANY(ARRAY(SELECT message_key FROM first_answers))
       AND (m.delivered_at IS NULL) IS TRUE
     RETURNING m.id, f.position
   )
   SELECT i.position, ${MESSAGE_COLUMNS_OF_M},
          COALESCE(d.position = i.position,
                   i.outcome = 'answered' AND m.delivered_push_id IS NOT DISTINCT FROM i.push_id) AS first_answer
   FROM input i
   JOIN settled s ON s.push_id = i.push_id
   JOIN messages m ON m.id = s.message_key AND m.id = ANY(ARRAY(SELECT message_key FROM settled))
   LEFT JOIN delivered d ON d.id = m.id`;
}

// One outcome (most groups at low load) as scalars: the generic plan of unnest($1) expects ten
// rows, and for ten rows it scans message_deliveries and messages whole up to a few thousand rows,
// so each settle read every stored message; one row is found through the primary keys.
const ONE_OUTCOME = `SELECT $1::text AS push_id, $2::text AS outcome, $3::timestamptz AS at, 1::bigint AS position`;
const OUTCOMES = `SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY AS i(push_id, outcome, at, position)`;
const RECORD_OUTCOME = preparedStatement(recordingOutcomes(ONE_OUTCOME, 'alone'));
const RECORD_OUTCOMES = preparedStatement(recordingOutcomes(OUTCOMES, 'alone'));
const RECORD_OUTCOME_AND_ATTEMPTS = preparedStatement(recordingOutcomes(ONE_OUTCOME, 'with-attempts'));
const RECORD_OUTCOMES_AND_ATTEMPTS = preparedStatement(recordingOutcomes(OUTCOMES, 'with-attempts'));

const MARK_STORED_IF_UNREACHABLE = preparedStatement(
  `UPDATE messages m SET stored_notified_at = $2
   WHERE m.id = ANY($1::uuid[]) AND m.delivered_at IS NULL AND m.stored_notified_at IS NULL
     AND NOT EXISTS (
       SELECT 1 FROM message_deliveries d
       WHERE d.message_key = m.id AND (d.outcome IS NULL OR d.outcome = 'answered')
     )
   RETURNING m.id`,
);

const UNDELIVERED = preparedStatement(
  `SELECT ${MESSAGE_COLUMNS_OF_M}, m.stored_notified_at IS NOT NULL AS stored_told,
          ARRAY(SELECT d.device_id FROM message_deliveries d
                WHERE d.message_key = m.id AND d.outcome IS NULL ORDER BY d.device_id) AS in_flight_to
   FROM messages m
   WHERE (m.sender_aor, m.message_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
     AND m.delivered_at IS NULL`,
);

/** MessageStore on `messages` and `message_deliveries`, inside the caller's transaction. */
export class SqlMessageStore implements MessageStore {
  async lockRecipients(tx: Transaction, recipientAors: readonly string[]): Promise<void> {
    if (recipientAors.length === 0) {
      return;
    }
    await queryPrepared(entityManagerOf(tx), LOCK_RECIPIENTS, [recipientLockKeys(recipientAors)]);
  }

  async claimAndInsertAll(
    tx: Transaction,
    claims: readonly CommandClaim[],
    messages: ReadonlyArray<ClaimedMessage>,
  ): Promise<{ claims: IdempotencyClaim[]; messages: Array<InsertedMessage | undefined> }> {
    if (claims.length === 0) {
      return { claims: [], messages: [] };
    }
    const manager = entityManagerOf(tx);
    // claimAndInsertAll's statement says in what order it claims, locks and inserts.
    const rows = await queryPrepared<MessageRow & { first_claim: string | null }>(manager, CLAIM_AND_INSERT, [
      ...claimColumns(claims),
      messages.map(({ claim }) => claim + 1),
      messages.map(({ message }) => message.senderAor),
      messages.map(({ message }) => message.commandId),
      messages.map(({ message }) => message.messageId),
      messages.map(({ message }) => message.recipientAor),
      messages.map(({ message }) => message.text),
      messages.map(({ message }) => message.sentAt),
      recipientLockKeys(messages.map(({ message }) => message.recipientAor)),
    ]);
    const firstClaims = new Set<number>();
    const created = new Map<string, MessageRow>();
    for (const row of rows) {
      if (row.first_claim === null) {
        created.set(messageIdentity(row.sender_aor, row.message_id), row);
      } else {
        firstClaims.add(Number(row.first_claim) - 1);
      }
    }
    const storing = messages.filter(({ claim }) => firstClaims.has(claim));
    const earlier = storing
      .map(({ message }) => message)
      .filter((m) => !created.has(messageIdentity(m.senderAor, m.messageId)));
    const existing =
      earlier.length === 0 ? new Map<string, MessageRow>() : await existingMessages(manager, earlier);
    // A row inserted by this statement was stored by the first message of its identity (in input
    // order, ON CONFLICT skipping the later ones): those find it.
    const found = new Set<string>();
    return {
      claims: await claimsOf(tx, claims, (index) => firstClaims.has(index)),
      messages: messages.map(({ claim, message: m }): InsertedMessage | undefined => {
        if (!firstClaims.has(claim)) {
          return undefined;
        }
        const identity = messageIdentity(m.senderAor, m.messageId);
        const row = created.get(identity);
        if (row !== undefined) {
          const first = !found.has(identity);
          found.add(identity);
          return { created: first, message: toMessage(row) };
        }
        const stored = existing.get(identity);
        if (stored === undefined) {
          throw new PersistenceError(
            'PERSISTENCE_MESSAGE_MISSING',
            `message ${m.messageId} of ${m.senderAor} was neither inserted nor found`,
          );
        }
        return { created: false, message: toMessage(stored) };
      }),
    };
  }

  async pendingFor(
    tx: Transaction,
    recipientAor: string,
    notInFlightTo?: InFlightFilter,
  ): Promise<StoredMessage[]> {
    const rows = await queryPrepared<MessageRow>(entityManagerOf(tx), PENDING_FOR, [
      recipientAor,
      notInFlightTo?.deviceId ?? null,
      notInFlightTo?.since ?? null,
    ]);
    return rows.map(toMessage);
  }

  async recordAttempts(tx: Transaction, attempts: readonly DeliveryAttempt[]): Promise<void> {
    if (attempts.length === 0) {
      return;
    }
    await queryPrepared(entityManagerOf(tx), RECORD_ATTEMPTS, attemptColumns(attempts));
  }

  async recordOutcomes(
    tx: Transaction,
    outcomes: readonly RecordedOutcome[],
    attempts: readonly DeliveryAttempt[] = [],
  ): Promise<Array<SettledPush | undefined>> {
    if (outcomes.length === 0) {
      await this.recordAttempts(tx, attempts);
      return [];
    }
    // recordingOutcomes says how outcomes apply.
    const columns = [
      outcomes.map((o) => o.pushId),
      outcomes.map((o) => o.outcome),
      outcomes.map((o) => o.at),
    ];
    const one = outcomes.length === 1;
    const withAttempts = attempts.length > 0;
    const statement = withAttempts
      ? one
        ? RECORD_OUTCOME_AND_ATTEMPTS
        : RECORD_OUTCOMES_AND_ATTEMPTS
      : one
        ? RECORD_OUTCOME
        : RECORD_OUTCOMES;
    const rows = await queryPrepared<MessageRow & { position: string; first_answer: boolean }>(
      entityManagerOf(tx),
      statement,
      [
        ...(one ? columns.map(([value]) => value) : columns),
        ...(withAttempts ? attemptColumns(attempts) : []),
      ],
    );
    const byPosition = new Map(rows.map((row) => [Number(row.position), row]));
    return outcomes.map((_, index) => {
      const row = byPosition.get(index + 1);
      return row === undefined ? undefined : { message: toMessage(row), firstAnswer: row.first_answer };
    });
  }

  async markStoredIfUnreachable(
    tx: Transaction,
    messageKeys: readonly string[],
    at: Date,
  ): Promise<ReadonlySet<string>> {
    if (messageKeys.length === 0) {
      return new Set();
    }
    const rows = await queryPrepared<{ id: string }>(entityManagerOf(tx), MARK_STORED_IF_UNREACHABLE, [
      messageKeys,
      at,
    ]);
    return new Set(rows.map((row) => row.id));
  }

  async findUndelivered(
    tx: Transaction,
    messages: ReadonlyArray<Pick<StoredMessage, 'senderAor' | 'messageId'>>,
  ): Promise<UndeliveredMessage[]> {
    if (messages.length === 0) {
      return [];
    }
    const rows = await queryPrepared<MessageRow & { stored_told: boolean; in_flight_to: string[] }>(
      entityManagerOf(tx),
      UNDELIVERED,
      [messages.map((m) => m.senderAor), messages.map((m) => m.messageId)],
    );
    return rows.map((row) => ({
      message: toMessage(row),
      storedTold: row.stored_told,
      inFlightTo: row.in_flight_to,
    }));
  }
}

/** The parameters of recordingAttempts: one array per column. */
function attemptColumns(attempts: readonly DeliveryAttempt[]): unknown[] {
  return [
    attempts.map((a) => a.pushId),
    attempts.map((a) => a.messageKey),
    attempts.map((a) => a.recipientAor),
    attempts.map((a) => a.deviceId),
    attempts.map((a) => a.attemptedAt),
  ];
}

async function existingMessages(
  manager: EntityManager,
  messages: readonly NewMessage[],
): Promise<Map<string, MessageRow>> {
  const rows = await queryPrepared<MessageRow>(manager, EXISTING_MESSAGES, [
    messages.map((m) => m.senderAor),
    messages.map((m) => m.messageId),
  ]);
  return new Map(rows.map((row) => [messageIdentity(row.sender_aor, row.message_id), row]));
}

function messageIdentity(senderAor: string, messageId: string): string {
  return JSON.stringify([senderAor, messageId]);
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
