import {
  edgeOutboundRecord,
  type EncodedRecord,
  type PushOutcomeV1,
  type SubscribeDecidedV1,
  subscribeDecidedV1,
  type SubscribeRequestedV1,
  canonicalAor,
} from '#herald/contracts';
import { randomUUID } from 'node:crypto';
import { type Transaction, type UnitOfWork, type EventPublisher } from '../../shared';
import type { PresenceRepository, RosterRepository } from '../ports';
import type { SimpleNotifier } from './simple-notifier';
import type { SubscriptionFields, SubscriptionRepository } from './subscription-model';

type Decision = Pick<SubscribeDecidedV1, 'status' | 'reason' | 'expires'>;

interface Decided {
  decision: Decision;
  notifies: EncodedRecord[];
}

export interface SubscriptionServiceDependencies {
  unitOfWork: UnitOfWork;
  subscriptions: SubscriptionRepository;
  rosters: RosterRepository;
  presence: PresenceRepository;
  notifier: SimpleNotifier;
  bus: EventPublisher;
  /** Longest subscription granted, in seconds: a longer request is shortened (RFC 6665 §4.2.1.1). */
  maxExpiresSeconds: number;
  now?: () => Date;
}

/**
 * Presence subscriptions of SIMPLE clients (protocol.md §7, RFC 6665, RFC 3856): decides each
 * SUBSCRIBE the edge forwards, keeps the dialog in PostgreSQL, and sends the NOTIFYs that go with
 * it; a NOTIFY the subscriber refused or never answered ends its subscription.
 */
export class SubscriptionService {
  private readonly now: () => Date;

  constructor(private readonly deps: SubscriptionServiceDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Decides one SUBSCRIBE: its NOTIFY is published before the transaction commits, while the
   * presentity's aggregate stays locked, so a concurrent change's NOTIFY follows with the next
   * CSeq; `subscribe.decided` to its edge only after the commit, so a 200 OK answers only a
   * subscription that is stored (a failed commit leaves the edge to answer 503). The first NOTIFY
   * can then reach the subscriber before the 200, which RFC 6665 (§4.1.2.4) has subscribers
   * accept. One past its deadline is skipped: the edge has answered 503 and the client retries.
   */
  async subscribe(request: SubscribeRequestedV1): Promise<void> {
    const now = this.now();
    if (now.getTime() > Date.parse(request.deadline)) return;
    const decision = await this.deps.unitOfWork.run(async (tx) => {
      const decided = request.initial
        ? await this.initial(tx, request, now)
        : await this.inDialog(tx, request, now);
      if (decided.notifies.length > 0) await this.deps.bus.publish(decided.notifies);
      return decided.decision;
    });
    const reply = subscribeDecidedV1.build({ ...decision, txKey: request.txKey, aor: request.aor }, now);
    await this.deps.bus.publish([edgeOutboundRecord(request.edgeId, reply)]);
  }

  /** RFC 6665 §4.2.2: a NOTIFY answered with an error, timed out or without a flow ends its subscription. */
  async notifyOutcome(outcome: PushOutcomeV1): Promise<void> {
    const { subscriptionId } = outcome;
    if (subscriptionId === undefined || outcome.outcome === 'answered') return;
    await this.deps.unitOfWork.runSingleStatement((tx) => this.deps.subscriptions.remove(tx, subscriptionId));
  }

  private async initial(tx: Transaction, request: SubscribeRequestedV1, now: Date): Promise<Decided> {
    const subscriber = canonicalAor(request.aor);
    const target = canonicalAor(request.target);
    // protocol.md §7: only a user who holds the presentity as an accepted buddy may watch it.
    const { forward } = await this.deps.rosters.lockPair(tx, subscriber, target);
    if (forward?.state !== 'both') {
      return { decision: { status: 403, reason: 'Forbidden (not an accepted buddy)' }, notifies: [] };
    }
    const presence = await this.deps.presence.lockAggregate(tx, target);
    const expires = this.granted(request.expires);
    const fields = this.fieldsOf(request, subscriber, target, now, expires);
    if (expires === 0) {
      // RFC 6665 §4.4.3: an initial SUBSCRIBE with Expires 0 fetches the state once; nothing is kept.
      const fetched = { subscription: { ...fields, id: randomUUID() }, cseq: 1 };
      return {
        decision: { status: 200, expires: 0 },
        notifies: this.deps.notifier.records([fetched], presence, 'terminated', now),
      };
    }
    const stored = await this.deps.subscriptions.upsert(tx, fields);
    return {
      decision: { status: 200, expires },
      notifies: this.deps.notifier.records([stored], presence, 'active', now),
    };
  }

  private async inDialog(tx: Transaction, request: SubscribeRequestedV1, now: Date): Promise<Decided> {
    const subscriber = canonicalAor(request.aor);
    const target = canonicalAor(request.target);
    // The aggregate first, as a presence change takes it before the subscriptions: no lock cycle.
    const presence = await this.deps.presence.lockAggregate(tx, target);
    const { callId, subscriberTag, notifierTag } = request.dialog;
    const found = await this.deps.subscriptions.lockDialog(tx, {
      subscriberAor: subscriber,
      callId,
      subscriberTag,
      notifierTag,
    });
    // RFC 6665 §4.2.1.2: a refresh of a subscription that does not exist (any more) gets 481.
    if (found === undefined || found.targetAor !== target) {
      return { decision: { status: 481, reason: 'Subscription Does Not Exist' }, notifies: [] };
    }
    // RFC 3261 §12.2.2: a CSeq lower than the last one is out of order (a redelivery repeats it).
    if (request.cseq < found.subscriberCseq) {
      return { decision: { status: 500, reason: 'Server Internal Error (CSeq out of order)' }, notifies: [] };
    }
    if (request.expires === 0) {
      // RFC 6665 §4.2.1.4: unsubscribing ends the subscription with a final NOTIFY.
      const final = await this.deps.subscriptions.remove(tx, found.id);
      return {
        decision: { status: 200, expires: 0 },
        notifies: this.deps.notifier.records(final === undefined ? [] : [final], presence, 'terminated', now),
      };
    }
    const expires = this.granted(request.expires);
    const stored = await this.deps.subscriptions.upsert(
      tx,
      this.fieldsOf(request, subscriber, target, now, expires),
    );
    // RFC 6665 §4.2.1.2: a refresh is answered with a NOTIFY of the current state.
    return {
      decision: { status: 200, expires },
      notifies: this.deps.notifier.records([stored], presence, 'active', now),
    };
  }

  private granted(requested: number): number {
    return Math.min(requested, this.deps.maxExpiresSeconds);
  }

  private fieldsOf(
    request: SubscribeRequestedV1,
    subscriber: string,
    target: string,
    now: Date,
    expires: number,
  ): SubscriptionFields {
    return {
      subscriberAor: subscriber,
      targetAor: target,
      deviceId: request.deviceId,
      edgeId: request.edgeId,
      flowId: request.flowId,
      dialog: request.dialog,
      subscriberCseq: request.cseq,
      expiresAt: new Date(now.getTime() + expires * 1000),
    };
  }
}
