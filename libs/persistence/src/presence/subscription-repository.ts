import type {
  AggregatePresence,
  DialogKey,
  NotifyTarget,
  Subscription,
  SubscriptionFields,
  SubscriptionRepository,
  Transaction,
} from '#herald/domain';
import { columnList, type RowOf } from '../table';
import { entityManagerOf } from '../unit-of-work';
import { PRESENCE_SUBSCRIPTIONS } from './presence.tables';

/** bigint columns arrive as strings. */
type SubscriptionRow = RowOf<typeof PRESENCE_SUBSCRIPTIONS>;

/** A row as json_agg writes it: numbers for the bigints, an ISO string for the timestamp. */
type TakenJson = Omit<SubscriptionRow, 'subscriber_cseq' | 'notify_cseq' | 'expires_at'> & {
  subscriber_cseq: number;
  notify_cseq: number;
  expires_at: string;
};

/** Every column of presence_subscriptions, for RETURNING and SELECT. */
const COLUMNS = columnList(PRESENCE_SUBSCRIPTIONS, [
  'id',
  'subscriber_aor',
  'target_aor',
  'device_id',
  'edge_id',
  'flow_id',
  'call_id',
  'subscriber_tag',
  'notifier_tag',
  'contact',
  'route_set',
  'event_id',
  'subscriber_cseq',
  'notify_cseq',
  'expires_at',
]);

function subscriptionOf(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    subscriberAor: row.subscriber_aor,
    targetAor: row.target_aor,
    deviceId: row.device_id,
    edgeId: row.edge_id,
    flowId: row.flow_id,
    dialog: {
      callId: row.call_id,
      subscriberTag: row.subscriber_tag,
      notifierTag: row.notifier_tag,
      contact: row.contact,
      routeSet: row.route_set,
      ...(row.event_id === null ? {} : { eventId: row.event_id }),
    },
    subscriberCseq: Number(row.subscriber_cseq),
    expiresAt: row.expires_at,
  };
}

/** A row whose notify_cseq was just taken: the NOTIFY to send carries it. */
function notifyTargetOf(row: SubscriptionRow): NotifyTarget {
  return { subscription: subscriptionOf(row), cseq: Number(row.notify_cseq) };
}

/**
 * SubscriptionRepository on `presence_subscriptions`, inside the caller's transaction. Writes that
 * return rows are wrapped in a CTE: TypeORM hands back a top-level UPDATE or DELETE as [rows, count].
 */
export class SqlSubscriptionRepository implements SubscriptionRepository {
  async upsert(tx: Transaction, fields: SubscriptionFields): Promise<NotifyTarget> {
    const { dialog } = fields;
    const rows: SubscriptionRow[] = await entityManagerOf(tx).query(
      `INSERT INTO presence_subscriptions (subscriber_aor, target_aor, device_id, edge_id, flow_id, call_id,
         subscriber_tag, notifier_tag, contact, route_set, event_id, subscriber_cseq, notify_cseq, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, 1, $13)
       ON CONFLICT (subscriber_aor, call_id, subscriber_tag, notifier_tag) DO UPDATE SET
         device_id = EXCLUDED.device_id, edge_id = EXCLUDED.edge_id, flow_id = EXCLUDED.flow_id,
         contact = EXCLUDED.contact, route_set = EXCLUDED.route_set, event_id = EXCLUDED.event_id,
         subscriber_cseq = EXCLUDED.subscriber_cseq, expires_at = EXCLUDED.expires_at,
         notify_cseq = presence_subscriptions.notify_cseq + 1
       RETURNING ${COLUMNS}`,
      [
        fields.subscriberAor,
        fields.targetAor,
        fields.deviceId,
        fields.edgeId,
        fields.flowId,
        dialog.callId,
        dialog.subscriberTag,
        dialog.notifierTag,
        dialog.contact,
        JSON.stringify(dialog.routeSet),
        dialog.eventId ?? null,
        fields.subscriberCseq,
        fields.expiresAt,
      ],
    );
    return notifyTargetOf(rows[0]);
  }

  async lockDialog(tx: Transaction, key: DialogKey): Promise<Subscription | undefined> {
    const rows: SubscriptionRow[] = await entityManagerOf(tx).query(
      `SELECT ${COLUMNS} FROM presence_subscriptions
       WHERE subscriber_aor = $1 AND call_id = $2 AND subscriber_tag = $3 AND notifier_tag = $4
       FOR UPDATE`,
      [key.subscriberAor, key.callId, key.subscriberTag, key.notifierTag],
    );
    return rows.length === 0 ? undefined : subscriptionOf(rows[0]);
  }

  async remove(tx: Transaction, id: string): Promise<NotifyTarget | undefined> {
    const rows: SubscriptionRow[] = await entityManagerOf(tx).query(
      `WITH removed AS (
         DELETE FROM presence_subscriptions WHERE id = $1
         RETURNING ${COLUMNS.replace('notify_cseq', 'notify_cseq + 1 AS notify_cseq')})
       SELECT * FROM removed`,
      [id],
    );
    return rows.length === 0 ? undefined : notifyTargetOf(rows[0]);
  }

  async removeBetween(tx: Transaction, a: string, b: string): Promise<NotifyTarget[]> {
    const rows: SubscriptionRow[] = await entityManagerOf(tx).query(
      `WITH removed AS (
         DELETE FROM presence_subscriptions
         WHERE (subscriber_aor = $1 AND target_aor = $2) OR (subscriber_aor = $2 AND target_aor = $1)
         RETURNING ${COLUMNS.replace('notify_cseq', 'notify_cseq + 1 AS notify_cseq')})
       SELECT * FROM removed`,
      [a, b],
    );
    return rows.map(notifyTargetOf);
  }

  async watchersAndNotifiesOf(
    tx: Transaction,
    targetAor: string,
  ): Promise<{ watchers: string[]; notifies: NotifyTarget[] }> {
    // One row: the watchers (as RosterRepository.watchersOf) and the taken subscriptions as JSON.
    // protocol.md §7: presence reaches accepted buddies only, whatever subscription outlived one.
    const [row]: Array<{ watchers: string[]; notifies: TakenJson[] }> = await entityManagerOf(tx).query(
      `WITH taken AS (
           UPDATE presence_subscriptions s SET notify_cseq = s.notify_cseq + 1
           WHERE s.target_aor = $1 AND s.expires_at > now()
             AND EXISTS (SELECT 1 FROM roster_entries r
                         WHERE r.owner_aor = s.subscriber_aor AND r.buddy_aor = s.target_aor AND r.state = 'both')
           RETURNING ${COLUMNS.replace(/(\w+)/g, 's.$1')})
         SELECT
           ARRAY(SELECT owner_aor FROM roster_entries WHERE buddy_aor = $1 AND state = 'both') AS watchers,
           (SELECT COALESCE(json_agg(taken), '[]'::json) FROM taken) AS notifies`,
      [targetAor],
    );
    return {
      watchers: row.watchers,
      notifies: row.notifies.map((taken) =>
        notifyTargetOf({
          ...taken,
          subscriber_cseq: String(taken.subscriber_cseq),
          notify_cseq: String(taken.notify_cseq),
          expires_at: new Date(taken.expires_at),
        }),
      ),
    };
  }

  async removeExpired(
    tx: Transaction,
    now: Date,
    limit: number,
  ): Promise<Array<NotifyTarget & { presence: AggregatePresence }>> {
    const rows: Array<SubscriptionRow & { status: AggregatePresence['status']; note: string | null }> =
      await entityManagerOf(tx).query(
        `WITH expired AS (
           DELETE FROM presence_subscriptions WHERE id IN (
             SELECT id FROM presence_subscriptions WHERE expires_at <= $1
             ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING ${COLUMNS.replace('notify_cseq', 'notify_cseq + 1 AS notify_cseq')})
         SELECT e.*, COALESCE(a.status, 'offline') AS status, a.note
         FROM expired e
         LEFT JOIN roster_entries r
           ON r.owner_aor = e.subscriber_aor AND r.buddy_aor = e.target_aor AND r.state = 'both'
         LEFT JOIN presence_aggregates a ON r.owner_aor IS NOT NULL AND a.aor = e.target_aor`,
        [now, limit],
      );
    return rows.map((row) => ({
      ...notifyTargetOf(row),
      presence: {
        status: row.status,
        ...(row.note === null ? {} : { note: row.note }),
        at: now,
      },
    }));
  }
}
