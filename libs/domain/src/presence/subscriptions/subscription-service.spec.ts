import {
  edgeOutboundV1,
  type NotifyRequestedV1,
  pushOutcomeV1,
  type SubscribeDecidedV1,
  subscribeRequestedV1,
  type SubscribeRequestedV1,
} from '#herald/contracts';
import { PIDF_WRITER } from '#herald/sip';
import { RecordingBus } from '../../../testing/recording-bus';
import { Transaction, type UnitOfWork } from '../../shared';
import type { PresenceRepository, RosterPair, RosterRepository } from '../ports';
import type { AggregatePresence, RosterEntry } from '../presence-model';
import { MemorySubscriptions } from '../../../testing/memory-subscriptions';
import { SimpleNotifier } from './simple-notifier';
import { SubscriptionExpiry } from './subscription-expiry';
import { SubscriptionService } from './subscription-service';

const D = 'herald.example';
const ALICE = `sip:alice@${D}`;
const BOB = `sip:bob@${D}`;
const NOW = new Date('2026-01-02T03:04:05.000Z');
const MAX_EXPIRES = 3600;

class FakeTx extends Transaction {}
const unitOfWork: UnitOfWork = {
  run: (work) => work(new FakeTx()),
  runSingleStatement: (work) => work(new FakeTx()),
};

/** Rosters and aggregates: only what the subscription service reads. */
class MemoryPresence
  implements Pick<RosterRepository, 'lockPair'>, Pick<PresenceRepository, 'lockAggregate'>
{
  readonly entries = new Map<string, RosterEntry>();
  readonly aggregates = new Map<string, AggregatePresence>();
  async lockPair(_tx: Transaction, a: string, b: string): Promise<RosterPair> {
    return { forward: this.entries.get(`${a} ${b}`), reverse: this.entries.get(`${b} ${a}`) };
  }
  async lockAggregate(_tx: Transaction, aor: string): Promise<AggregatePresence> {
    return this.aggregates.get(aor) ?? { status: 'offline', at: NOW };
  }
  accept(owner: string, buddy: string): void {
    this.entries.set(`${owner} ${buddy}`, { ownerAor: owner, buddyAor: buddy, state: 'both' });
  }
}

function subscribeRequest(fields: Partial<SubscribeRequestedV1> = {}): SubscribeRequestedV1 {
  return subscribeRequestedV1.build(
    {
      edgeId: 'edge-1',
      txKey: 'tx-1',
      flowId: 'tcp:4',
      transport: 'tcp',
      aor: ALICE,
      deviceId: 'urn:uuid:alice-phone',
      target: BOB,
      initial: true,
      dialog: {
        callId: 'call-1@client',
        subscriberTag: 'sub-tag',
        notifierTag: 'not-tag',
        contact: 'sip:alice@127.0.0.1:5070;transport=tcp',
        routeSet: [],
      },
      cseq: 1,
      expires: 600,
      deadline: new Date(NOW.getTime() + 5_000).toISOString(),
      ...fields,
    },
    NOW,
  );
}

describe('SubscriptionService (protocol.md §7 SUBSCRIBE/NOTIFY)', () => {
  let bus: RecordingBus;
  let store: MemoryPresence;
  let subscriptions: MemorySubscriptions;
  let service: SubscriptionService;
  let expiry: SubscriptionExpiry;
  let now: Date;

  beforeEach(() => {
    bus = new RecordingBus();
    store = new MemoryPresence();
    subscriptions = new MemorySubscriptions();
    now = NOW;
    let pushIds = 0;
    const notifier = new SimpleNotifier({
      subscriptions,
      documents: PIDF_WRITER,
      bus,
      newPushId: () => `n-${++pushIds}`,
      now: () => now,
    });
    const rosters = store as unknown as RosterRepository;
    const presence = store as unknown as PresenceRepository;
    service = new SubscriptionService({
      unitOfWork,
      subscriptions,
      rosters,
      presence,
      notifier,
      bus,
      maxExpiresSeconds: MAX_EXPIRES,
      now: () => now,
    });
    expiry = new SubscriptionExpiry({
      unitOfWork,
      subscriptions,
      notifier,
      bus,
      batchSize: 2,
      now: () => now,
    });
  });

  /** Every outbound event published, decoded, in order. */
  function outbound(): Array<SubscribeDecidedV1 | NotifyRequestedV1> {
    return bus.records.map((record) => {
      const event = edgeOutboundV1.decode(record.value);
      if (event.type !== 'subscribe.decided' && event.type !== 'notify.requested') {
        throw new Error(`unexpected ${event.type}`);
      }
      return event;
    });
  }
  const notifies = () => outbound().filter((e): e is NotifyRequestedV1 => e.type === 'notify.requested');
  const decisions = () => outbound().filter((e): e is SubscribeDecidedV1 => e.type === 'subscribe.decided');

  it('accepts an accepted buddy: NOTIFY active with the PIDF, then the 200 to the edge in a publish of its own', async () => {
    store.accept(ALICE, BOB);
    store.aggregates.set(BOB, { status: 'busy', note: 'in a call', at: NOW });
    await service.subscribe(subscribeRequest());

    expect(bus.publishCalls).toHaveLength(2);
    expect(bus.records.map((r) => r.topic)).toEqual(['edge.edge-1.outbound.v1', 'edge.edge-1.outbound.v1']);
    const [notify, decision] = outbound();
    expect(decision).toMatchObject({
      type: 'subscribe.decided',
      txKey: 'tx-1',
      aor: ALICE,
      status: 200,
      expires: 600,
    });
    expect(notify).toMatchObject({
      type: 'notify.requested',
      origin: 'presence',
      aor: ALICE,
      target: BOB,
      flowId: 'tcp:4',
      cseq: 1,
      subscriptionState: 'active;expires=600',
      contentType: 'application/pidf+xml',
      dialog: { callId: 'call-1@client', subscriberTag: 'sub-tag', notifierTag: 'not-tag' },
    });
    expect(notify.type === 'notify.requested' && notify.body).toContain('<basic>open</basic>');
    expect(notify.type === 'notify.requested' && notify.body).toContain('<note>in a call</note>');
    expect(subscriptions.rows.size).toBe(1);
  });

  it('answers the edge only once the subscription is committed: a failed commit sends no 200', async () => {
    store.accept(ALICE, BOB);
    const failingCommit: UnitOfWork = {
      run: async (work) => {
        await work(new FakeTx());
        throw new Error('terminating connection due to administrator command');
      },
      runSingleStatement: (work) => work(new FakeTx()),
    };
    const notifier = new SimpleNotifier({ subscriptions, documents: PIDF_WRITER, bus, now: () => now });
    const failing = new SubscriptionService({
      unitOfWork: failingCommit,
      subscriptions,
      rosters: store as unknown as RosterRepository,
      presence: store as unknown as PresenceRepository,
      notifier,
      bus,
      maxExpiresSeconds: MAX_EXPIRES,
      now: () => now,
    });

    await expect(failing.subscribe(subscribeRequest())).rejects.toThrow('administrator');

    expect(decisions()).toEqual([]);
  });

  it('refuses a user who is not an accepted buddy with 403 and keeps nothing', async () => {
    store.entries.set(`${ALICE} ${BOB}`, { ownerAor: ALICE, buddyAor: BOB, state: 'pending-out' });
    await service.subscribe(subscribeRequest());
    expect(outbound()).toEqual([expect.objectContaining({ type: 'subscribe.decided', status: 403 })]);
    expect(subscriptions.rows.size).toBe(0);
  });

  it('shortens an expiry above the maximum', async () => {
    store.accept(ALICE, BOB);
    await service.subscribe(subscribeRequest({ expires: 86_400 }));
    expect(decisions()[0].expires).toBe(MAX_EXPIRES);
    expect(notifies()[0].subscriptionState).toBe(`active;expires=${MAX_EXPIRES}`);
  });

  it('answers an initial Expires 0 (a fetch) with one NOTIFY terminated and keeps nothing', async () => {
    store.accept(ALICE, BOB);
    await service.subscribe(subscribeRequest({ expires: 0 }));
    expect(decisions()[0]).toMatchObject({ status: 200, expires: 0 });
    expect(notifies()).toEqual([
      expect.objectContaining({ subscriptionState: 'terminated;reason=timeout', cseq: 1 }),
    ]);
    expect(subscriptions.rows.size).toBe(0);
  });

  it('extends on refresh with the next NOTIFY CSeq, and ends on Expires 0 with a final NOTIFY', async () => {
    store.accept(ALICE, BOB);
    await service.subscribe(subscribeRequest());
    now = new Date(NOW.getTime() + 100_000);
    const inDialog = { initial: false, deadline: new Date(now.getTime() + 5_000).toISOString() };
    await service.subscribe(
      subscribeRequest({ ...inDialog, txKey: 'tx-2', cseq: 2, expires: 900, flowId: 'tcp:9' }),
    );
    expect(decisions()[1]).toMatchObject({ txKey: 'tx-2', status: 200, expires: 900 });
    expect(notifies()[1]).toMatchObject({
      cseq: 2,
      flowId: 'tcp:9',
      subscriptionState: 'active;expires=900',
    });
    const [row] = subscriptions.rows.values();
    expect(row.subscription.expiresAt).toEqual(new Date(now.getTime() + 900_000));

    await service.subscribe(subscribeRequest({ ...inDialog, txKey: 'tx-3', cseq: 3, expires: 0 }));
    expect(decisions()[2]).toMatchObject({ txKey: 'tx-3', status: 200, expires: 0 });
    expect(notifies()[2]).toMatchObject({ cseq: 3, subscriptionState: 'terminated;reason=timeout' });
    expect(subscriptions.rows.size).toBe(0);
  });

  it('answers 481 to an in-dialog SUBSCRIBE without a subscription, 500 to an older CSeq', async () => {
    store.accept(ALICE, BOB);
    await service.subscribe(subscribeRequest({ initial: false, txKey: 'tx-9' }));
    expect(outbound()).toEqual([expect.objectContaining({ txKey: 'tx-9', status: 481 })]);

    await service.subscribe(subscribeRequest({ cseq: 5 }));
    await service.subscribe(subscribeRequest({ initial: false, txKey: 'tx-10', cseq: 4 }));
    expect(decisions().at(-1)).toMatchObject({ txKey: 'tx-10', status: 500 });
  });

  it('skips a SUBSCRIBE past its deadline (the edge answered 503 already)', async () => {
    store.accept(ALICE, BOB);
    await service.subscribe(subscribeRequest({ deadline: new Date(NOW.getTime() - 1).toISOString() }));
    expect(bus.records).toEqual([]);
    expect(subscriptions.rows.size).toBe(0);
  });

  it('ends the subscription when a NOTIFY fails, times out or finds no flow, not when it is answered', async () => {
    store.accept(ALICE, BOB);
    await service.subscribe(subscribeRequest());
    const subscriptionId = notifies()[0].subscriptionId;
    const outcome = (kind: 'answered' | 'failed' | 'timed-out' | 'no-flow') =>
      pushOutcomeV1.build({
        pushId: 'n-1',
        origin: 'presence',
        aor: ALICE,
        deviceId: 'urn:uuid:alice-phone',
        edgeId: 'edge-1',
        outcome: kind,
        subscriptionId,
      });
    await service.notifyOutcome(outcome('answered'));
    expect(subscriptions.rows.size).toBe(1);
    await service.notifyOutcome(outcome('failed'));
    expect(subscriptions.rows.size).toBe(0);
  });

  it('sweeps expired subscriptions in batches, each with a final NOTIFY terminated', async () => {
    store.accept(ALICE, BOB);
    for (const callId of ['c-1', 'c-2', 'c-3']) {
      await service.subscribe(subscribeRequest({ dialog: { ...subscribeRequest().dialog, callId } }));
    }
    await service.subscribe(
      subscribeRequest({ expires: 3000, dialog: { ...subscribeRequest().dialog, callId: 'c-long' } }),
    );
    bus.clear();
    subscriptions.expiredPresence = { status: 'online', at: NOW };
    now = new Date(NOW.getTime() + 601_000);

    expect(await expiry.sweep()).toBe(3);
    expect(bus.publishCalls).toHaveLength(2);
    expect(notifies().map((n) => [n.dialog.callId, n.cseq, n.subscriptionState])).toEqual([
      ['c-1', 2, 'terminated;reason=timeout'],
      ['c-2', 2, 'terminated;reason=timeout'],
      ['c-3', 2, 'terminated;reason=timeout'],
    ]);
    expect(notifies()[0].body).toContain('<basic>open</basic>');
    expect([...subscriptions.rows.values()].map((r) => r.subscription.dialog.callId)).toEqual(['c-long']);
  });

  it('ends the subscriptions between two users who are no longer buddies with NOTIFY terminated rejected', async () => {
    store.accept(ALICE, BOB);
    store.accept(BOB, ALICE);
    store.aggregates.set(BOB, { status: 'online', at: NOW });
    await service.subscribe(subscribeRequest());
    await service.subscribe(
      subscribeRequest({
        aor: BOB,
        target: ALICE,
        dialog: { ...subscribeRequest().dialog, callId: 'c-bob' },
      }),
    );
    await service.subscribe(
      subscribeRequest({
        target: `sip:carol@${D}`,
        dialog: { ...subscribeRequest().dialog, callId: 'c-carol' },
      }),
    );
    bus.clear();
    const notifier = new SimpleNotifier({ subscriptions, documents: PIDF_WRITER, bus, now: () => now });
    await notifier.endBetween(new FakeTx(), BOB, ALICE);
    expect(notifies().map((n) => [n.dialog.callId, n.cseq, n.subscriptionState])).toEqual([
      ['call-1@client', 2, 'terminated;reason=rejected'],
      ['c-bob', 2, 'terminated;reason=rejected'],
    ]);
    expect(notifies()[0].body).toContain('<basic>closed</basic>');
    expect([...subscriptions.rows.values()].map((r) => r.subscription.dialog.callId)).toEqual([]);
  });

  it.each([
    ['online', 'open'],
    ['away', 'open'],
    ['busy', 'open'],
    ['offline', 'closed'],
  ] as const)(
    'NOTIFYs %s as a PIDF body with basic %s (RFC 3856 §6.8: open means reachable for IM)',
    async (status, basic) => {
      store.accept(ALICE, BOB);
      await service.subscribe(subscribeRequest());
      bus.clear();
      const targets = (await subscriptions.watchersAndNotifiesOf(new FakeTx(), BOB)).notifies;
      const notifier = new SimpleNotifier({ subscriptions, documents: PIDF_WRITER, bus, now: () => now });
      await notifier.announce(targets, { status, note: 'back at 2', at: NOW });
      expect(notifies()).toHaveLength(1);
      expect(notifies()[0]).toMatchObject({
        contentType: 'application/pidf+xml',
        body:
          '<?xml version="1.0" encoding="UTF-8"?>\n' +
          `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${BOB}">` +
          `<tuple id="herald"><status><basic>${basic}</basic></status><note>back at 2</note></tuple>` +
          '</presence>\n',
      });
    },
  );

  it('NOTIFYs every subscriber of a presentity whose presence changed, each with its next CSeq', async () => {
    store.accept(ALICE, BOB);
    await service.subscribe(subscribeRequest());
    await service.subscribe(subscribeRequest({ dialog: { ...subscribeRequest().dialog, callId: 'c-2' } }));
    bus.clear();
    const notifier = new SimpleNotifier({ subscriptions, documents: PIDF_WRITER, bus, now: () => now });
    const offline = { status: 'offline', at: NOW } as const;
    await notifier.announce((await subscriptions.watchersAndNotifiesOf(new FakeTx(), BOB)).notifies, offline);
    expect(bus.publishCalls).toHaveLength(1);
    expect(notifies().map((n) => [n.dialog.callId, n.cseq])).toEqual([
      ['call-1@client', 2],
      ['c-2', 2],
    ]);
    expect(notifies()[0].body).toContain('<basic>closed</basic>');
    await notifier.announce(
      (await subscriptions.watchersAndNotifiesOf(new FakeTx(), ALICE)).notifies,
      offline,
    );
    expect(bus.publishCalls).toHaveLength(1);
  });
});
