import { edgeOutboundRecord, type EncodedRecord, notifyRequestedV1 } from '#herald/contracts';
import { randomUUID } from 'node:crypto';
import type { EventPublisher, Transaction } from '../../shared';
import type { AggregatePresence } from '../presence-model';
import type { NotifyTarget, PresenceDocument, SimpleSubscribers } from './subscription-model';

/**
 * What the NOTIFY says of the subscription (RFC 6665 §4.1.3): `active` until its expiry;
 * `terminated` because it expired or was ended by the subscriber (`timeout`); `rejected` because
 * the subscriber is no longer an accepted buddy (it should not subscribe again).
 */
export type SubscriptionState = 'active' | 'terminated' | 'rejected';

function stateHeader(state: SubscriptionState, expiresAt: Date, now: Date): string {
  if (state === 'terminated') return 'terminated;reason=timeout';
  if (state === 'rejected') return 'terminated;reason=rejected';
  const seconds = Math.max(0, Math.round((expiresAt.getTime() - now.getTime()) / 1000));
  return `active;expires=${seconds}`;
}

/**
 * The document of one presentity: `open` for every visible status but offline (RFC 3856 §6.8:
 * open means reachable for IM), and the note when there is one. Away and busy keep `open`: the
 * note says more.
 */
function presenceDocumentOf(entity: string, presence: AggregatePresence): PresenceDocument {
  const basic = presence.status === 'offline' ? 'closed' : 'open';
  return presence.note === undefined ? { entity, basic } : { entity, basic, note: presence.note };
}

export interface SimpleNotifierDependencies extends SimpleSubscribers {
  bus: EventPublisher;
  /** NOTIFY push ids (default random UUIDs). */
  newPushId?: () => string;
  now?: () => Date;
}

/**
 * NOTIFYs with a presence document body (RFC 3856; PIDF, RFC 3863, as wired) for SIMPLE subscribers (protocol.md §7): each
 * goes to the edge holding the subscriber's flow as `notify.requested`.
 */
export class SimpleNotifier {
  private readonly newPushId: () => string;
  private readonly now: () => Date;

  constructor(private readonly deps: SimpleNotifierDependencies) {
    this.newPushId = deps.newPushId ?? randomUUID;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * One NOTIFY record per target, all with the presentity's presence and the same state; `now`
   * counts the seconds left of an active one (a decision passes its own, so the NOTIFY says
   * exactly the Expires granted in the 200).
   */
  records(
    targets: readonly NotifyTarget[],
    presence: AggregatePresence,
    state: SubscriptionState,
    now: Date = this.now(),
  ): EncodedRecord[] {
    return targets.map(({ subscription, cseq }) => {
      const event = notifyRequestedV1.build(
        {
          pushId: this.newPushId(),
          origin: 'presence',
          subscriptionId: subscription.id,
          aor: subscription.subscriberAor,
          deviceId: subscription.deviceId,
          flowId: subscription.flowId,
          target: subscription.targetAor,
          dialog: subscription.dialog,
          cseq,
          subscriptionState: stateHeader(state, subscription.expiresAt, now),
          contentType: this.deps.documents.contentType,
          body: this.deps.documents.write(presenceDocumentOf(subscription.targetAor, presence)),
        },
        now,
      );
      return edgeOutboundRecord(subscription.edgeId, event);
    });
  }

  /**
   * `a` and `b` are no longer buddies (protocol.md §7): their subscriptions to each other end with
   * a NOTIFY `terminated;reason=rejected` showing offline, published inside the change's transaction.
   */
  async endBetween(tx: Transaction, a: string, b: string): Promise<void> {
    const ended = await this.deps.subscriptions.removeBetween(tx, a, b);
    if (ended.length === 0) return;
    await this.deps.bus.publish(this.records(ended, { status: 'offline', at: this.now() }, 'rejected'));
  }

  /** The presentity's aggregate changed: its SIMPLE subscribers get a NOTIFY each, in one publish. */
  async announce(targets: readonly NotifyTarget[], aggregate: AggregatePresence): Promise<void> {
    if (targets.length === 0) return;
    await this.deps.bus.publish(this.records(targets, aggregate, 'active'));
  }
}
