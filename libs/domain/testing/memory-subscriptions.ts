import type { Transaction } from '../src/shared';
import type { AggregatePresence } from '../src/presence/presence-model';
import type {
  DialogKey,
  NotifyTarget,
  Subscription,
  SubscriptionFields,
  SubscriptionRepository,
} from '../src/presence/subscriptions/subscription-model';

/** SubscriptionRepository in memory, for the subscription unit specs (outside src/: never built). */
export class MemorySubscriptions implements SubscriptionRepository {
  readonly rows = new Map<string, { subscription: Subscription; notifyCseq: number }>();
  /** The presence removeExpired reports for every target. */
  expiredPresence: AggregatePresence = { status: 'offline', at: new Date(0) };
  private nextId = 1;

  async upsert(_tx: Transaction, fields: SubscriptionFields): Promise<NotifyTarget> {
    const existing = [...this.rows.values()].find((row) => sameDialog(row.subscription, fields));
    const id = existing?.subscription.id ?? `sub-${this.nextId++}`;
    const row = { subscription: { ...fields, id }, notifyCseq: (existing?.notifyCseq ?? 0) + 1 };
    this.rows.set(id, row);
    return { subscription: row.subscription, cseq: row.notifyCseq };
  }

  async lockDialog(_tx: Transaction, key: DialogKey): Promise<Subscription | undefined> {
    return [...this.rows.values()].find(
      ({ subscription: s }) =>
        s.subscriberAor === key.subscriberAor &&
        s.dialog.callId === key.callId &&
        s.dialog.subscriberTag === key.subscriberTag &&
        s.dialog.notifierTag === key.notifierTag,
    )?.subscription;
  }

  async remove(_tx: Transaction, id: string): Promise<NotifyTarget | undefined> {
    const row = this.rows.get(id);
    if (row === undefined) return undefined;
    this.rows.delete(id);
    return { subscription: row.subscription, cseq: row.notifyCseq + 1 };
  }

  async removeBetween(tx: Transaction, a: string, b: string): Promise<NotifyTarget[]> {
    const between = [...this.rows.values()].filter(
      ({ subscription: s }) =>
        (s.subscriberAor === a && s.targetAor === b) || (s.subscriberAor === b && s.targetAor === a),
    );
    const removed = await Promise.all(between.map((row) => this.remove(tx, row.subscription.id)));
    return removed.filter((target): target is NotifyTarget => target !== undefined);
  }

  /** Watchers the fake reports with every fan-out. */
  watchers: string[] = [];

  async watchersAndNotifiesOf(
    _tx: Transaction,
    targetAor: string,
  ): Promise<{ watchers: string[]; notifies: NotifyTarget[] }> {
    const notifies = [...this.rows.values()]
      .filter((row) => row.subscription.targetAor === targetAor)
      .map((row) => {
        row.notifyCseq += 1;
        return { subscription: row.subscription, cseq: row.notifyCseq };
      });
    return { watchers: this.watchers, notifies };
  }

  async removeExpired(
    tx: Transaction,
    now: Date,
    limit: number,
  ): Promise<Array<NotifyTarget & { presence: AggregatePresence }>> {
    const expired = [...this.rows.values()]
      .filter((row) => row.subscription.expiresAt.getTime() <= now.getTime())
      .slice(0, limit);
    const removed = await Promise.all(expired.map((row) => this.remove(tx, row.subscription.id)));
    return removed.flatMap((target) =>
      target === undefined ? [] : [{ ...target, presence: this.expiredPresence }],
    );
  }
}

function sameDialog(a: SubscriptionFields, b: SubscriptionFields): boolean {
  return (
    a.subscriberAor === b.subscriberAor &&
    a.dialog.callId === b.dialog.callId &&
    a.dialog.subscriberTag === b.dialog.subscriberTag &&
    a.dialog.notifierTag === b.dialog.notifierTag
  );
}
