import { RecordingBus } from '../../testing/recording-bus';
import {
  type CommandCarrier,
  commandReceivedV1,
  deviceRegisteredV1,
  edgeOutboundV1,
  IM_MESSAGE_ACCEPTED_V1,
  messageAcceptedV1,
  pushOutcomeV1,
  type PushRequestedV1,
} from '#herald/contracts';
import type { Device, DeviceDirectory, DeviceLookupOptions } from '../push';
import {
  type BatchAccountDirectory,
  type CommandKey,
  type BatchIdempotencyStore,
  type CommandClaim,
  type IdempotencyClaim,
  inLockOrder,
  type StoredLookup,
  type StoredResult,
  Transaction,
  type UnitOfWork,
} from '../shared';
import { IM_DELIVERY_PUSH_ID_PREFIX } from './im-pushes';
import { ImRouter } from './im-router';
import { PLAIN_DEVICE_LOGIN_GRACE_MS } from './im-routing';
import { derivedMessageId, type InsertedMessage, type NewMessage, type StoredMessage } from './message';
import type {
  ClaimedMessage,
  DeliveryAttempt,
  DeviceKey,
  DueDevice,
  InFlightFilter,
  MessageStore,
  PlainDeviceQueue,
  PushOutcomeKind,
  RecordedOutcome,
  UndeliveredMessage,
  SendCheckLookup,
} from './ports';

const DOMAIN = 'herald.example';
const ALICE = `sip:alice@${DOMAIN}`;
const BOB = `sip:bob@${DOMAIN}`;
const CAROL = `sip:carol@${DOMAIN}`;
const DAVE = `sip:dave@${DOMAIN}`;
const RECEIVED_AT = new Date('2026-01-02T03:04:05.000Z');
const NOW = new Date('2026-01-02T03:04:06.000Z');

/** The fakes write at once and register an undo, which the unit of work runs if the work throws. */
class FakeTransaction extends Transaction {
  readonly undo: Array<() => void> = [];
  /** Run when the transaction ended, committed or not: its locks are released. */
  readonly onEnd: Array<() => void> = [];
}

class FakeUnitOfWork implements UnitOfWork {
  transactions = 0;
  /** Set to make the next COMMIT fail once the work ran (a database restarting): nothing stays. */
  failNextCommit: Error | undefined;
  async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    this.transactions += 1;
    const tx = new FakeTransaction();
    try {
      const result = await work(tx);
      const commitFailure = this.failNextCommit;
      this.failNextCommit = undefined;
      if (commitFailure !== undefined) throw commitFailure;
      return result;
    } catch (error) {
      for (const undo of tx.undo.reverse()) undo();
      throw error;
    } finally {
      for (const release of tx.onEnd) release();
    }
  }
  /** Work of one statement that commits on its own (no BEGIN, no COMMIT). */
  singleStatements = 0;
  runSingleStatement<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    this.singleStatements += 1;
    this.transactions -= 1;
    return this.run(work);
  }
}

function write(tx: Transaction, apply: () => void, undo: () => void): void {
  apply();
  (tx as FakeTransaction).undo.push(undo);
}

class MapIdempotencyStore implements BatchIdempotencyStore {
  readonly rows = new Map<string, StoredResult | null>();
  claimAllCalls = 0;
  async claim(tx: Transaction, key: CommandKey, expectedResult?: StoredResult): Promise<IdempotencyClaim> {
    const id = JSON.stringify(key);
    if (this.rows.has(id)) return { kind: 'duplicate', result: this.rows.get(id) };
    await this.storeResult(tx, key, expectedResult ?? null);
    return { kind: 'first' };
  }
  async claimAll(tx: Transaction, claims: readonly CommandClaim[]): Promise<IdempotencyClaim[]> {
    this.claimAllCalls += 1;
    const result: IdempotencyClaim[] = [];
    for (const { key, expectedResult } of claims) result.push(await this.claim(tx, key, expectedResult));
    return result;
  }
  async storeResult(tx: Transaction, key: CommandKey, result: StoredResult): Promise<void> {
    const id = JSON.stringify(key);
    write(
      tx,
      () => this.rows.set(id, result),
      () => this.rows.delete(id),
    );
  }
  storeResultUnflushed(tx: Transaction, key: CommandKey, result: StoredResult): Promise<void> {
    return this.storeResult(tx, key, result);
  }
  async findResults(_tx: Transaction, keys: readonly CommandKey[]): Promise<StoredLookup[]> {
    return keys.map((key) => {
      const id = JSON.stringify(key);
      return this.rows.has(id) ? { found: true, result: this.rows.get(id) } : { found: false };
    });
  }
}

interface FakeRow extends StoredMessage {
  deliveredAt?: Date;
  deliveredPushId?: string;
  storedNotifiedAt?: Date;
}

class InMemoryMessageStore implements MessageStore {
  readonly rows: FakeRow[] = [];
  readonly attempts = new Map<string, DeliveryAttempt & { outcome?: PushOutcomeKind }>();
  readonly locked: string[] = [];

  /**
   * Pushes whose recording transaction is still open (as PostgreSQL's snapshot of a statement that
   * began before its commit sees it): recordOutcomes finds them only once a recipient lock was
   * taken, which waits for that transaction.
   */
  readonly uncommitted = new Set<string>();

  async lockRecipients(_tx: Transaction, recipientAors: readonly string[]): Promise<void> {
    this.locked.push(...inLockOrder(recipientAors));
    this.uncommitted.clear();
  }
  claimAndInsertAllCalls = 0;
  /** A text the store refuses to insert (a poison message). */
  refusedText: string | undefined;

  constructor(private readonly idempotency: MapIdempotencyStore) {}

  async claimAndInsertAll(
    tx: Transaction,
    claims: readonly CommandClaim[],
    messages: ReadonlyArray<ClaimedMessage>,
  ): Promise<{ claims: IdempotencyClaim[]; messages: Array<InsertedMessage | undefined> }> {
    this.claimAndInsertAllCalls += 1;
    if (messages.some(({ message }) => message.text === this.refusedText)) {
      throw new Error(`refused ${this.refusedText}`);
    }
    const claimed = await this.idempotency.claimAll(tx, claims);
    // As the statement: once the claims are taken, the locks of every message's recipient.
    await this.lockRecipients(
      tx,
      messages.map(({ message }) => message.recipientAor),
    );
    return {
      claims: claimed,
      messages: messages.map(({ claim, message }) =>
        claimed[claim]?.kind === 'first' ? this.insert(tx, message) : undefined,
      ),
    };
  }
  private insert(tx: Transaction, message: NewMessage): InsertedMessage {
    const existing = this.rows.find(
      (row) => row.senderAor === message.senderAor && row.messageId === message.messageId,
    );
    if (existing) return { created: false, message: existing };
    const row = { ...message, key: `k-${this.rows.length + 1}` };
    write(
      tx,
      () => this.rows.push(row),
      () => this.rows.pop(),
    );
    return { created: true, message: row };
  }
  async pendingFor(_tx: Transaction, recipientAor: string, notInFlightTo?: InFlightFilter) {
    const inFlight = (row: FakeRow) =>
      [...this.attempts.values()].some(
        (a) =>
          a.messageKey === row.key &&
          a.deviceId === notInFlightTo?.deviceId &&
          a.outcome === undefined &&
          a.attemptedAt >= notInFlightTo.since,
      );
    return this.rows.filter(
      (row) => row.recipientAor === recipientAor && row.deliveredAt === undefined && !inFlight(row),
    );
  }
  async recordAttempts(tx: Transaction, attempts: readonly DeliveryAttempt[]): Promise<void> {
    this.addAttempts(tx, attempts);
  }
  private addAttempts(tx: Transaction, attempts: readonly DeliveryAttempt[]): void {
    write(
      tx,
      () => attempts.forEach((attempt) => this.attempts.set(attempt.pushId, attempt)),
      () => attempts.forEach((attempt) => this.attempts.delete(attempt.pushId)),
    );
  }
  async recordOutcomes(
    tx: Transaction,
    outcomes: readonly RecordedOutcome[],
    attempts: readonly DeliveryAttempt[] = [],
  ) {
    // One statement: the outcomes do not see the attempts recorded with them.
    const settled = this.settle(tx, outcomes);
    this.addAttempts(tx, attempts);
    return settled;
  }
  private settle(tx: Transaction, outcomes: readonly RecordedOutcome[]) {
    return outcomes.map(({ pushId, outcome, at }) => {
      const attempt = this.attempts.get(pushId);
      if (attempt === undefined || this.uncommitted.has(pushId)) return undefined;
      const before = attempt.outcome;
      write(
        tx,
        () => (attempt.outcome = outcome),
        () => (attempt.outcome = before),
      );
      const row = this.row(attempt.messageKey);
      if (outcome === 'answered' && row.deliveredAt === undefined) {
        write(
          tx,
          () => Object.assign(row, { deliveredAt: at, deliveredPushId: pushId }),
          () => Object.assign(row, { deliveredAt: undefined, deliveredPushId: undefined }),
        );
        return { message: row, firstAnswer: true };
      }
      // A redelivered answer of the push that delivered it is its first answer again.
      return { message: row, firstAnswer: outcome === 'answered' && row.deliveredPushId === pushId };
    });
  }
  async markStoredIfUnreachable(
    tx: Transaction,
    messageKeys: readonly string[],
    at: Date,
  ): Promise<ReadonlySet<string>> {
    const marked = new Set<string>();
    for (const messageKey of messageKeys) {
      const row = this.row(messageKey);
      const awaiting = [...this.attempts.values()].some(
        (a) => a.messageKey === messageKey && (a.outcome === undefined || a.outcome === 'answered'),
      );
      if (row.deliveredAt !== undefined || row.storedNotifiedAt !== undefined || awaiting) continue;
      write(
        tx,
        () => (row.storedNotifiedAt = at),
        () => delete row.storedNotifiedAt,
      );
      marked.add(messageKey);
    }
    return marked;
  }
  async findUndelivered(
    _tx: Transaction,
    messages: ReadonlyArray<Pick<StoredMessage, 'senderAor' | 'messageId'>>,
  ): Promise<UndeliveredMessage[]> {
    return this.rows
      .filter(
        (row) =>
          row.deliveredAt === undefined &&
          messages.some((m) => m.senderAor === row.senderAor && m.messageId === row.messageId),
      )
      .map((row) => ({
        message: row,
        storedTold: row.storedNotifiedAt !== undefined,
        inFlightTo: [...this.attempts.values()]
          .filter((a) => a.messageKey === row.key && a.outcome === undefined)
          .map((a) => a.deviceId)
          .sort(),
      }));
  }
  private row(key: string): FakeRow {
    const row = this.rows.find((r) => r.key === key);
    if (row === undefined) throw new Error(`no message ${key}`);
    return row;
  }
}

class InMemoryPlainDeviceQueue implements PlainDeviceQueue {
  readonly queued = new Map<string, { device: DeviceKey; dueAt: Date }>();
  /** Devices held by an open transaction (holdPlain), with the logins waiting for it to end. */
  readonly held = new Map<string, Array<() => void>>();

  constructor(private readonly directory: InMemoryDeviceDirectory) {}
  async schedule(_tx: Transaction, device: DeviceKey, dueAt: Date): Promise<void> {
    this.queued.set(JSON.stringify(device), { device, dueAt });
  }
  async cancel(_tx: Transaction, device: DeviceKey): Promise<void> {
    this.queued.delete(JSON.stringify(device));
  }
  async takeDue(_tx: Transaction, now: Date, limit: number): Promise<DueDevice[]> {
    const due = [...this.queued.entries()].filter(([, entry]) => entry.dueAt <= now).slice(0, limit);
    due.forEach(([key]) => this.queued.delete(key));
    return due.map(([, entry]) => ({ ...entry.device, dueAt: entry.dueAt }));
  }
  async holdPlain(tx: Transaction, devices: readonly DeviceKey[]): Promise<DeviceKey[]> {
    const plain = devices.filter(
      (key) =>
        this.directory.devices.find((d) => d.aor === key.aor && d.deviceId === key.deviceId)?.carrier ===
        'PLAIN',
    );
    for (const key of plain) {
      const id = JSON.stringify([key.aor, key.deviceId]);
      this.held.set(id, []);
      (tx as FakeTransaction).onEnd.push(() => {
        const waiting = this.held.get(id) ?? [];
        this.held.delete(id);
        waiting.forEach((login) => login());
      });
    }
    return plain;
  }

  /** What auth's login does to a device: at once, or once the transaction holding it ended. */
  login(key: DeviceKey, apply: () => void): void {
    const waiting = this.held.get(JSON.stringify([key.aor, key.deviceId]));
    if (waiting === undefined) apply();
    else waiting.push(apply);
  }
}

class InMemoryDeviceDirectory implements DeviceDirectory {
  /** Called after each device lookup: what happens between reading a device and publishing to it. */
  afterLookUp: (device: Device) => void = () => {};
  constructor(readonly devices: Device[]) {}
  async loggedInDevices(aors: readonly string[], options?: DeviceLookupOptions) {
    const found = this.devices.filter(
      (d) => aors.includes(d.aor) && (d.carrier !== 'PLAIN' || options?.includePlainSip === true),
    );
    const read = found.map((d) => ({ ...d }));
    found.forEach((d) => this.afterLookUp(d));
    return new Map(aors.map((aor) => [aor, read.filter((d) => d.aor === aor)]));
  }
  async device(aor: string, deviceId: string) {
    const found = this.devices.find((d) => d.aor === aor && d.deviceId === deviceId);
    // A copy, as a row read: a later change does not alter what was read.
    const read = found === undefined ? undefined : { ...found };
    if (found !== undefined) this.afterLookUp(found);
    return read;
  }
}

/** The one query of a group's senders and recipients, over the fake directory and accounts. */
class InMemorySendCheckLookup implements SendCheckLookup {
  /** The lookups made: senders and recipients of each. */
  readonly lookups: Array<[readonly string[], readonly string[]]> = [];
  constructor(
    private readonly directory: DeviceDirectory,
    private readonly accounts: BatchAccountDirectory,
  ) {}
  async sendersAndRecipients(senderAors: readonly string[], recipientAors: readonly string[]) {
    this.lookups.push([senderAors, recipientAors]);
    const [devices, existing] = await Promise.all([
      this.directory.loggedInDevices(senderAors, { includePlainSip: true }),
      this.accounts.existing(recipientAors),
    ]);
    return { devices, existing };
  }
}

function device(aor: string, deviceId: string, carrier: Device['carrier'] = 'INFO'): Device {
  return {
    aor,
    deviceId,
    edgeId: 'edge-0',
    flowId: `tcp:${deviceId}`,
    contact: `sip:${deviceId}@127.0.0.1`,
    carrier,
  };
}

function setUp(
  devices: Device[] = [
    device(ALICE, 'alice-desk'),
    device(BOB, 'bob-desk'),
    device(BOB, 'bob-phone', 'MESSAGE'),
  ],
) {
  const directory = new InMemoryDeviceDirectory(devices);
  const bus = new RecordingBus();
  const idempotency = new MapIdempotencyStore();
  const messages = new InMemoryMessageStore(idempotency);
  const known = [ALICE, BOB, CAROL, DAVE];
  const accounts: BatchAccountDirectory = {
    exists: async (aor) => known.includes(aor),
    existing: async (aors) => new Set(aors.filter((aor) => known.includes(aor))),
  };
  const plainDevices = new InMemoryPlainDeviceQueue(directory);
  const sendChecks = new InMemorySendCheckLookup(directory, accounts);
  let pushCounter = 0;
  let clock = NOW;
  const unitOfWork = new FakeUnitOfWork();
  const router = new ImRouter({
    unitOfWork,
    idempotency,
    messages,
    plainDevices,
    accounts,
    sendChecks,
    directory,
    publisher: bus,
    newPushId: () => `p-${++pushCounter}`,
    sipDomain: DOMAIN,
    now: () => clock,
  });
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

  /** Every push.requested published so far, with its parsed JSON body (undefined for text/plain). */
  const pushed = () =>
    bus.records
      .filter((record) => record.topic.startsWith('edge.'))
      .map((record) => edgeOutboundV1.decode(record.value) as PushRequestedV1)
      .map((event) => ({
        event,
        body: event.contentType.startsWith('text/plain')
          ? undefined
          : (JSON.parse(event.body) as Record<string, unknown>),
      }));
  const pushedTo = (deviceId: string) => pushed().filter((p) => p.event.deviceId === deviceId);
  const outcome = (pushId: string, kind: PushOutcomeKind) => {
    const attempt = messages.attempts.get(pushId);
    return pushOutcomeV1.build({
      pushId,
      origin: 'im-router',
      aor: attempt?.recipientAor ?? BOB,
      deviceId: attempt?.deviceId ?? 'bob-desk',
      edgeId: 'edge-0',
      outcome: kind,
      ...(kind === 'answered' ? { status: 200 } : {}),
    });
  };
  return {
    directory,
    sendChecks,
    bus,
    messages,
    idempotency,
    plainDevices,
    unitOfWork,
    router,
    pushed,
    pushedTo,
    outcome,
    advance,
  };
}

/** A sip.command-received event carrying `envelope` from one of alice's devices. */
function fromAlice(
  envelope: Record<string, unknown>,
  sender: { deviceId?: string; carrier?: CommandCarrier } = {},
) {
  const deviceId = sender.deviceId ?? 'alice-desk';
  return commandReceivedV1.build({
    edgeId: 'edge-0',
    flowId: `tcp:${deviceId}`,
    deviceId,
    contact: `sip:${deviceId}@127.0.0.1`,
    aor: ALICE,
    carrier: sender.carrier ?? 'INFO',
    callId: `call-${String(envelope['id'])}`,
    receivedAt: RECEIVED_AT.toISOString(),
    envelope: { v: 1, id: 'c-1', type: 'im.send', ...envelope },
  });
}

const imSend = (
  id: string,
  fields: Record<string, unknown> = {},
  deviceId?: string,
  carrier?: CommandCarrier,
) => fromAlice({ id, type: 'im.send', to: BOB, text: 'hello', ...fields }, { deviceId, carrier });

describe('ImRouter.handleCommand (im.send)', () => {
  it('re-sends the result an im.send got when it comes again after its sender’s session ended (a redelivery)', async () => {
    const aliceDesk = device(ALICE, 'alice-desk');
    const { router, pushedTo, messages } = setUp([aliceDesk, device(BOB, 'bob-desk')]);
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    aliceDesk.carrier = 'PLAIN';

    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    const results = pushedTo('alice-desk').filter((p) => p.body?.['type'] === 'im.send.result');
    expect(results).toHaveLength(2);
    expect(results[1].event.pushId).toBe(results[0].event.pushId);
    expect(results[1].body).toEqual(results[0].body);
    expect(results[0].body).toMatchObject({ re: 'c-1', ok: true, messageId: 'm-1' });
    expect(messages.rows).toHaveLength(1);
  });

  it('stores the IM, answers the sender, and pushes it to every logged-in device of the recipient', async () => {
    const { router, messages, pushedTo, bus } = setUp();

    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    expect(pushedTo('alice-desk').map((p) => p.body)).toEqual([
      { v: 1, id: expect.any(String), type: 'im.send.result', re: 'c-1', ok: true, messageId: 'm-1' },
    ]);
    const im = {
      type: 'im',
      messageId: 'm-1',
      from: ALICE,
      text: 'hello',
      sentAt: RECEIVED_AT.toISOString(),
      offline: false,
    };
    expect(pushedTo('bob-desk').map((p) => p.body)).toEqual([{ v: 1, id: expect.any(String), ...im }]);
    expect(pushedTo('bob-phone').map((p) => [p.event.method, p.body])).toEqual([
      ['MESSAGE', { v: 1, id: expect.any(String), ...im }],
    ]);
    expect(messages.rows).toHaveLength(1);
    expect([...messages.attempts.values()].map((a) => a.deviceId)).toEqual(['bob-desk', 'bob-phone']);
    const accepted = bus.records.filter((r) => r.topic === IM_MESSAGE_ACCEPTED_V1);
    expect(accepted.map((r) => [r.key, messageAcceptedV1.decode(r.value).messageId])).toEqual([[BOB, 'm-1']]);
  });

  it('sends plain SIP devices a text/plain MESSAGE from the sender', async () => {
    const { router, pushedTo } = setUp([device(ALICE, 'alice-desk'), device(BOB, 'bob-softphone', 'PLAIN')]);

    await router.handleCommand(imSend('c-1', { text: 'plain hi' }));

    expect(
      pushedTo('bob-softphone').map((p) => [
        p.event.method,
        p.event.contentType,
        p.event.body,
        p.event.fromUri,
      ]),
    ).toEqual([['MESSAGE', 'text/plain;charset=utf-8', 'plain hi', ALICE]]);
  });

  it('assigns a messageId derived from the command when the client sent none', async () => {
    const { router, pushedTo } = setUp();

    await router.handleCommand(imSend('c-7'));

    const messageId = derivedMessageId(ALICE, 'c-7');
    expect(messageId).not.toBe(derivedMessageId(ALICE, 'c-8'));
    expect(pushedTo('alice-desk')[0].body).toMatchObject({ re: 'c-7', ok: true, messageId });
    expect(pushedTo('bob-desk')[0].body).toMatchObject({ type: 'im', messageId });
  });

  it('tells the sender `stored` when the recipient has no device', async () => {
    const { router, pushedTo, messages } = setUp([device(ALICE, 'alice-desk'), device(ALICE, 'alice-phone')]);

    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    expect(pushedTo('alice-desk').map((p) => p.body?.['type'])).toEqual(['im.send.result', 'im.status']);
    expect(pushedTo('alice-desk')[1].body).toMatchObject({ messageId: 'm-1', state: 'stored' });
    expect(pushedTo('alice-phone').map((p) => p.body)).toEqual([
      expect.objectContaining({ type: 'im.status', messageId: 'm-1', state: 'stored' }),
    ]);
    expect(messages.rows).toHaveLength(1);
  });

  it('processes a redelivered command once: its result again, and its IM under the same push id to each device that has not answered', async () => {
    const { router, bus, pushed, pushedTo, messages, outcome } = setUp();
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    const [toDesk, toPhone] = [pushedTo('bob-desk')[0], pushedTo('bob-phone')[0]];
    await router.settle(outcome(toPhone.event.pushId, 'timed-out'));
    const before = pushed().length;

    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    // bob-phone's push has its outcome: only bob-desk's may have been lost with the publish.
    expect(
      pushed()
        .slice(before)
        .map((p) => [
          p.event.deviceId,
          p.event.pushId,
          p.body?.['type'],
          p.body?.['re'] ?? p.body?.['messageId'],
        ]),
    ).toEqual([
      ['alice-desk', expect.any(String), 'im.send.result', 'c-1'],
      ['bob-desk', toDesk.event.pushId, 'im', 'm-1'],
    ]);
    expect(pushedTo('alice-desk').at(-1)?.body).toMatchObject({ re: 'c-1', ok: true, messageId: 'm-1' });
    expect(messages.rows).toHaveLength(1);
    expect(messages.attempts.size).toBe(2);
    expect(bus.events(IM_MESSAGE_ACCEPTED_V1).map((event) => event['messageId'])).toEqual(['m-1', 'm-1']);
  });

  it('re-sends only the result of a redelivered command whose IM a device answered', async () => {
    const { router, bus, pushed, pushedTo, outcome } = setUp();
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    await router.settle(outcome(pushedTo('bob-desk')[0].event.pushId, 'answered'));
    const before = pushed().length;

    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    expect(
      pushed()
        .slice(before)
        .map((p) => [p.event.deviceId, p.body?.['type']]),
    ).toEqual([['alice-desk', 'im.send.result']]);
    expect(bus.events(IM_MESSAGE_ACCEPTED_V1)).toHaveLength(1);
  });

  it('does not deliver a message again when it is resent under a new command id', async () => {
    const { router, pushedTo, messages } = setUp();
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    await router.handleCommand(imSend('c-2', { messageId: 'm-1' }));
    await router.handleCommand(imSend('c-3', { messageId: 'm-1', text: 'something else' }));

    expect(pushedTo('bob-desk')).toHaveLength(1);
    expect(pushedTo('alice-desk').map((p) => p.body)).toEqual([
      expect.objectContaining({ re: 'c-1', ok: true, messageId: 'm-1' }),
      expect.objectContaining({ re: 'c-2', ok: true, messageId: 'm-1' }),
      expect.objectContaining({
        re: 'c-3',
        ok: false,
        messageId: 'm-1',
        error: expect.objectContaining({ code: 'conflict' }),
      }),
    ]);
    expect(messages.rows).toHaveLength(1);
  });

  it('keeps the same messageId when a command is retried after a failed publish', async () => {
    const { router, bus, pushedTo, messages } = setUp();
    bus.failNext = new Error('broker down');
    await expect(router.handleCommand(imSend('c-1'))).rejects.toThrow('broker down');
    expect(messages.rows.map((row) => row.messageId)).toEqual([derivedMessageId(ALICE, 'c-1')]);

    await router.handleCommand(imSend('c-1'));

    expect(pushedTo('bob-desk').map((p) => p.body?.['messageId'])).toEqual([derivedMessageId(ALICE, 'c-1')]);
  });

  it('pushes nothing, and tells the sender nothing, when the commit fails (found by the chaos soak)', async () => {
    const aliceDesk = device(ALICE, 'alice-desk');
    const { router, unitOfWork, pushedTo, messages, idempotency } = setUp([
      aliceDesk,
      device(BOB, 'bob-desk'),
    ]);
    unitOfWork.failNextCommit = new Error('terminating connection due to administrator command');

    await expect(router.handleCommand(imSend('c-1', { messageId: 'm-1' }))).rejects.toThrow('administrator');

    expect(messages.rows).toEqual([]);
    expect(idempotency.rows.size).toBe(0);
    expect(pushedTo('alice-desk')).toEqual([]);
    expect(pushedTo('bob-desk')).toEqual([]);
    // Handled again once its sender's session ended: refused, never told ok for an IM not stored.
    aliceDesk.carrier = 'PLAIN';
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    expect(pushedTo('alice-desk').map((p) => [p.body?.['re'], p.body?.['ok']])).toEqual([['c-1', false]]);
  });

  it('answers ok once the IM is stored when a command whose commit failed is handled again', async () => {
    const { router, unitOfWork, pushedTo, messages } = setUp();
    unitOfWork.failNextCommit = new Error('connection lost');
    await expect(router.handleCommand(imSend('c-1', { messageId: 'm-1' }))).rejects.toThrow(
      'connection lost',
    );

    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    expect(pushedTo('alice-desk').map((p) => [p.body?.['type'], p.body?.['ok']])).toEqual([
      ['im.send.result', true],
    ]);
    expect(messages.rows.map((row) => row.messageId)).toEqual(['m-1']);
  });

  it('publishes nothing before the commit; when the publish after it failed, the redelivery sends the result and the IM once', async () => {
    const { router, bus, pushedTo, messages } = setUp();
    bus.failNext = new Error('broker down');
    await expect(router.handleCommand(imSend('c-1', { messageId: 'm-1' }))).rejects.toThrow('broker down');
    expect(messages.rows.map((row) => row.messageId)).toEqual(['m-1']);
    expect(bus.records).toEqual([]);

    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    expect(
      pushedTo('alice-desk').map((p) => [p.body?.['re'], p.body?.['ok'], p.body?.['messageId']]),
    ).toEqual([['c-1', true, 'm-1']]);
    expect(pushedTo('bob-desk').map((p) => p.body?.['messageId'])).toEqual(['m-1']);
    expect(pushedTo('bob-phone').map((p) => p.body?.['messageId'])).toEqual(['m-1']);
    expect(bus.events(IM_MESSAGE_ACCEPTED_V1).map((event) => event['messageId'])).toEqual(['m-1']);
  });

  it.each([
    ['stored', BOB, { state: 'stored' }],
    [
      'failed',
      `sip:nobody@${DOMAIN}`,
      { state: 'failed', error: expect.objectContaining({ code: 'not-found' }) },
    ],
  ])(
    'tells the sender `%s` again after its result when the publish after the commit failed',
    async (_state, to, status) => {
      const { router, bus, pushedTo } = setUp([device(ALICE, 'alice-desk')]);
      const publish = bus.publish.bind(bus);
      let failing = true;
      jest.spyOn(bus, 'publish').mockImplementation(async (records) => {
        const carriesResult = records.some((record) => record.topic.startsWith('edge.'));
        if (failing && carriesResult) {
          failing = false;
          throw new Error('broker down');
        }
        return publish(records);
      });
      await expect(router.handleCommand(imSend('c-1', { to, messageId: 'm-1' }))).rejects.toThrow(
        'broker down',
      );
      expect(pushedTo('alice-desk')).toEqual([]);

      await router.handleCommand(imSend('c-1', { to, messageId: 'm-1' }));

      expect(pushedTo('alice-desk').map((p) => p.body)).toEqual([
        expect.objectContaining({ type: 'im.send.result', re: 'c-1', ok: true, messageId: 'm-1' }),
        expect.objectContaining({ type: 'im.status', messageId: 'm-1', ...status }),
      ]);
    },
  );

  it('tells the sender `stored` again under the same push id when a redelivery finds it told', async () => {
    const { router, pushedTo } = setUp([device(ALICE, 'alice-desk')]);
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    const statuses = pushedTo('alice-desk').filter((p) => p.body?.['type'] === 'im.status');
    expect(statuses.map((p) => p.body?.['state'])).toEqual(['stored', 'stored']);
    expect(statuses[1].event.pushId).toBe(statuses[0].event.pushId);
    expect(statuses[0].body?.['id']).toBe(statuses[0].event.pushId);
  });

  it.each([
    [`sip:nobody@${DOMAIN}`, 'not-found'],
    ['sip:bob@elsewhere.example', 'not-allowed'],
  ])('accepts a message to %s, then reports it failed with %s', async (to, code) => {
    const { router, pushed, messages } = setUp();

    await router.handleCommand(imSend('c-1', { to, messageId: 'm-1' }));

    expect(pushed().map((p) => [p.event.deviceId, p.body])).toEqual([
      [
        'alice-desk',
        expect.objectContaining({ type: 'im.send.result', re: 'c-1', ok: true, messageId: 'm-1' }),
      ],
      [
        'alice-desk',
        expect.objectContaining({
          type: 'im.status',
          messageId: 'm-1',
          state: 'failed',
          error: expect.objectContaining({ code }),
        }),
      ],
    ]);
    expect(messages.rows).toEqual([]);
  });

  it('matches recipients case-insensitively and as sip: for sips:', async () => {
    const { router, pushedTo } = setUp();

    await router.handleCommand(imSend('c-1', { to: `sips:BOB@${DOMAIN.toUpperCase()}` }));

    expect(pushedTo('bob-desk')).toHaveLength(1);
  });
});

describe('ImRouter.handleCommand refusals', () => {
  it('answers an invalid im.send with an error result and stores nothing', async () => {
    const { router, pushedTo, messages } = setUp();

    await router.handleCommand(imSend('c-1', { text: 'x'.repeat(4097) }));
    await router.handleCommand(imSend('c-2', { to: 'bob' }));

    expect(pushedTo('alice-desk').map((p) => p.body)).toEqual([
      expect.objectContaining({
        type: 'im.send.result',
        re: 'c-1',
        ok: false,
        error: expect.objectContaining({ code: 'too-large' }),
      }),
      expect.objectContaining({
        type: 'im.send.result',
        re: 'c-2',
        ok: false,
        error: expect.objectContaining({ code: 'bad-request' }),
      }),
    ]);
    expect(messages.rows).toEqual([]);
  });

  it('answers not-logged-in to a JSON device without a session, but relays for a plain SIP device', async () => {
    const { router, pushed, pushedTo, messages } = setUp([
      device(ALICE, 'alice-new', 'PLAIN'),
      device(ALICE, 'alice-softphone', 'PLAIN'),
      device(BOB, 'bob-desk'),
    ]);

    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }, 'alice-new', 'MESSAGE'));
    await router.handleCommand(imSend('c-2', { messageId: 'm-2' }, 'alice-softphone', 'MESSAGE-PLAIN'));

    expect(pushedTo('alice-new').map((p) => [p.event.method, p.body])).toEqual([
      [
        'MESSAGE',
        expect.objectContaining({
          re: 'c-1',
          ok: false,
          error: expect.objectContaining({ code: 'not-logged-in' }),
        }),
      ],
    ]);
    expect(pushedTo('bob-desk').map((p) => p.body?.['messageId'])).toEqual(['m-2']);
    expect(pushed().filter((p) => p.event.deviceId === 'alice-softphone')).toEqual([]);
    expect(messages.rows.map((m) => m.messageId)).toEqual(['m-2']);
  });

  it('keeps not-logged-in as the one result of its command id: a copy re-sent after a login gets it again', async () => {
    const alice = device(ALICE, 'alice-new', 'PLAIN');
    const { router, pushedTo, messages } = setUp([alice, device(BOB, 'bob-desk')]);

    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }, 'alice-new', 'MESSAGE'));
    alice.carrier = 'MESSAGE';
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }, 'alice-new', 'MESSAGE'));
    await router.handleCommand(imSend('c-2', { messageId: 'm-2' }, 'alice-new', 'MESSAGE'));

    const results = pushedTo('alice-new').filter((p) => p.body?.['type'] === 'im.send.result');
    expect(results.map((p) => p.body)).toEqual([
      expect.objectContaining({
        re: 'c-1',
        ok: false,
        error: expect.objectContaining({ code: 'not-logged-in' }),
      }),
      expect.objectContaining({
        re: 'c-1',
        ok: false,
        error: expect.objectContaining({ code: 'not-logged-in' }),
      }),
      expect.objectContaining({ re: 'c-2', ok: true }),
    ]);
    expect(results[1]?.event.pushId).toBe(results[0]?.event.pushId);
    expect(pushedTo('bob-desk').map((p) => p.body?.['messageId'])).toEqual(['m-2']);
    expect(messages.rows.map((m) => m.messageId)).toEqual(['m-2']);
  });

  it('answers a command of another service bad-request naming its owner, rather than dropping it', async () => {
    const { router, pushed, messages } = setUp();
    await router.handleCommand(fromAlice({ id: 'c-9', type: 'presence.set', status: 'away' }));
    expect(pushed().map((p) => [p.event.deviceId, p.body])).toEqual([
      [
        'alice-desk',
        expect.objectContaining({
          type: 'presence.set.result',
          re: 'c-9',
          ok: false,
          error: { code: 'bad-request', message: 'presence.set is a command of presence, not of im-router' },
        }),
      ],
    ]);
    expect(messages.rows).toEqual([]);
  });
});

describe('ImRouter.settle', () => {
  it('tells the sender `delivered` once, at the first answer from any recipient device', async () => {
    const { router, messages, pushedTo, outcome } = setUp([
      device(ALICE, 'alice-desk'),
      device(ALICE, 'alice-phone'),
      device(BOB, 'bob-desk'),
      device(BOB, 'bob-phone'),
    ]);
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    const [first, second] = [...messages.attempts.keys()];
    const statusesTo = (aliceDevice: string) =>
      pushedTo(aliceDevice).filter((p) => p.body?.['type'] === 'im.status');

    await router.settle(outcome(first, 'answered'));
    await router.settle(outcome(second, 'answered'));

    for (const aliceDevice of ['alice-desk', 'alice-phone']) {
      expect(statusesTo(aliceDevice).map((p) => p.body)).toEqual([
        expect.objectContaining({ messageId: 'm-1', state: 'delivered' }),
      ]);
    }

    // A redelivery of the answer that delivered it (its publish after the commit may have been
    // lost) tells it again under the same push id, which the client processes once.
    await router.settle(outcome(first, 'answered'));

    for (const aliceDevice of ['alice-desk', 'alice-phone']) {
      const [told, toldAgain] = statusesTo(aliceDevice);
      expect(toldAgain?.body).toEqual(told.body);
      expect(toldAgain?.event.pushId).toBe(told.event.pushId);
    }
  });

  it('tells `delivered` after the commit: when that publish failed, the redelivered answer tells it', async () => {
    const { router, bus, messages, pushedTo, outcome } = setUp();
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    const [desk] = [...messages.attempts.keys()];
    const answered = outcome(desk, 'answered');
    bus.failNext = new Error('broker down');

    await expect(router.settle(answered)).rejects.toThrow('broker down');
    expect(messages.rows[0].deliveredAt).toEqual(new Date(answered.at));
    expect(pushedTo('alice-desk').filter((p) => p.body?.['type'] === 'im.status')).toEqual([]);

    await router.settle(answered);

    expect(
      pushedTo('alice-desk')
        .filter((p) => p.body?.['type'] === 'im.status')
        .map((p) => p.body),
    ).toEqual([expect.objectContaining({ messageId: 'm-1', state: 'delivered' })]);
  });

  it('settles answered outcomes without taking the recipient lock', async () => {
    const { router, messages, pushedTo, outcome } = setUp();
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    const [desk] = [...messages.attempts.keys()];
    messages.locked.length = 0;

    await router.settle(outcome(desk, 'answered'));

    expect(messages.locked).toEqual([]);
    expect(pushedTo('alice-desk').filter((p) => p.body?.['type'] === 'im.status')).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ messageId: 'm-1', state: 'delivered' }) }),
    ]);
  });

  it('waits under the recipient lock for a push whose transaction had not committed when answered', async () => {
    const { router, messages, pushedTo, outcome, unitOfWork } = setUp();
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    const [desk] = [...messages.attempts.keys()];
    messages.locked.length = 0;
    messages.uncommitted.add(desk);
    const transactionsBefore = unitOfWork.transactions;

    await router.settle(outcome(desk, 'answered'));

    expect(messages.locked).toEqual([BOB]);
    // The first statement alone found nothing; the lock and the second are one transaction.
    expect([unitOfWork.singleStatements, unitOfWork.transactions - transactionsBefore]).toEqual([1, 1]);
    expect(pushedTo('alice-desk').filter((p) => p.body?.['type'] === 'im.status')).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ messageId: 'm-1', state: 'delivered' }) }),
    ]);
  });

  it('tells the sender `stored` when every device failed, and delivers at the next login', async () => {
    const { router, messages, pushedTo, outcome } = setUp();
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    const [desk, phone] = [...messages.attempts.keys()];

    await router.settle(outcome(desk, 'timed-out'));
    expect(pushedTo('alice-desk').filter((p) => p.body?.['type'] === 'im.status')).toEqual([]);
    await router.settle(outcome(phone, 'no-flow'));
    expect(
      pushedTo('alice-desk')
        .filter((p) => p.body?.['type'] === 'im.status')
        .map((p) => p.body),
    ).toEqual([expect.objectContaining({ messageId: 'm-1', state: 'stored' })]);

    await router.deliverStored(BOB, 'bob-phone', NOW);
    expect(pushedTo('bob-phone').map((p) => p.body)).toEqual([
      expect.objectContaining({ type: 'im', messageId: 'm-1' }),
      expect.objectContaining({ type: 'im', messageId: 'm-1', offline: true }),
    ]);
  });

  it.each([
    // `delivered` goes out after the commit: nothing of a failed commit is heard.
    ['delivered', ['answered'], ['delivered']],
    // `stored` goes out before the commit, and again under the same push id.
    ['stored', ['timed-out', 'no-flow'], ['stored', 'stored']],
  ] as const)(
    'tells `%s` when the commit of the settle that told it failed and it is settled again',
    async (_state, kinds, told) => {
      const { router, messages, pushedTo, outcome, unitOfWork } = setUp();
      await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
      const pushIds = [...messages.attempts.keys()];
      const settle = () => router.settleAll(kinds.map((kind, index) => outcome(pushIds[index], kind)));
      unitOfWork.failNextCommit = new Error('connection lost');
      await expect(settle()).rejects.toThrow('connection lost');
      expect(messages.rows[0]).toEqual(expect.not.objectContaining({ deliveredAt: expect.anything() }));

      await settle();

      const statuses = pushedTo('alice-desk').filter((p) => p.body?.['type'] === 'im.status');
      expect(statuses.map((p) => p.body?.['state'])).toEqual(told);
      expect(new Set(statuses.map((p) => p.event.pushId)).size).toBe(1);
    },
  );

  it('skips outcomes of its pushes that carried no IM', async () => {
    const { router, messages, pushed, outcome } = setUp();
    await router.handleCommand(imSend('c-1'));
    const before = pushed().length;
    const resultPushId = pushed().find((p) => p.body?.['type'] === 'im.send.result')?.event.pushId ?? '';
    const recordOutcomes = jest.spyOn(messages, 'recordOutcomes');

    await router.settle(outcome(resultPushId, 'answered'));

    expect(pushed()).toHaveLength(before);
    expect(messages.rows[0].deliveredAt).toBeUndefined();
    // Told apart by the pushId: no lookup for a result push.
    expect(resultPushId.startsWith(IM_DELIVERY_PUSH_ID_PREFIX)).toBe(false);
    expect([...messages.attempts.keys()].every((id) => id.startsWith(IM_DELIVERY_PUSH_ID_PREFIX))).toBe(true);
    expect(recordOutcomes).not.toHaveBeenCalled();
  });
});

describe('ImRouter.deliverStored', () => {
  it('pushes pending IMs in order, marked offline, to the device that logged in only', async () => {
    const { router, directory, messages, pushedTo, outcome } = setUp([device(ALICE, 'alice-desk')]);
    await router.handleCommand(imSend('c-1', { messageId: 'm-1', text: 'one' }));
    await router.handleCommand(imSend('c-2', { messageId: 'm-2', text: 'two' }));
    directory.devices.push(device(BOB, 'bob-desk'), device(BOB, 'bob-phone'));

    await router.deliverStored(BOB, 'bob-desk', NOW);

    expect(
      pushedTo('bob-desk').map((p) => [p.body?.['messageId'], p.body?.['text'], p.body?.['offline']]),
    ).toEqual([
      ['m-1', 'one', true],
      ['m-2', 'two', true],
    ]);
    expect(pushedTo('bob-phone')).toEqual([]);

    const [firstPush] = [...messages.attempts.keys()];
    await router.settle(outcome(firstPush, 'answered'));
    expect(
      pushedTo('alice-desk')
        .filter((p) => p.body?.['state'] === 'delivered')
        .map((p) => p.body?.['messageId']),
    ).toEqual(['m-1']);

    await router.deliverStored(BOB, 'bob-phone', NOW);
    expect(pushedTo('bob-phone').map((p) => p.body?.['messageId'])).toEqual(['m-2']);
  });

  it('does not push again an IM already on its way to the device that just logged in', async () => {
    // The live push raced the login: it was sent to this session before its session-started event.
    const { router, pushedTo } = setUp();
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    expect(pushedTo('bob-phone').map((p) => p.body?.['offline'])).toEqual([false]);

    await router.deliverStored(BOB, 'bob-phone', NOW);

    expect(pushedTo('bob-phone').map((p) => p.body?.['offline'])).toEqual([false]);
  });

  it('pushes again an IM whose attempt to the device belongs to an earlier session', async () => {
    // No outcome will come for a push of a session that ended with its edge.
    const { router, pushedTo } = setUp();
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    await router.deliverStored(BOB, 'bob-phone', new Date(NOW.getTime() + 60_000));

    expect(pushedTo('bob-phone').map((p) => [p.body?.['messageId'], p.body?.['offline']])).toEqual([
      ['m-1', false],
      ['m-1', true],
    ]);
  });

  it('pushes an IM to a device under one push id each time, also after a crash lost its rows', async () => {
    const { router, pushedTo } = setUp();
    await router.handleCommand(imSend('c-1', { messageId: 'm-1' }));
    await router.deliverStored(BOB, 'bob-phone', new Date(NOW.getTime() + 60_000));
    // The transaction that recorded the pushes rolled back: the redelivered command starts afresh.
    const afterCrash = setUp();
    await afterCrash.router.handleCommand(imSend('c-1', { messageId: 'm-1' }));

    const [live, offline] = pushedTo('bob-phone').map((p) => p.event.pushId);
    const [again] = afterCrash.pushedTo('bob-phone').map((p) => p.event.pushId);
    const [toDesk] = pushedTo('bob-desk').map((p) => p.event.pushId);
    expect([offline, again]).toEqual([live, live]);
    expect(toDesk).not.toBe(live);
    expect(live.startsWith(IM_DELIVERY_PUSH_ID_PREFIX)).toBe(true);
  });

  it('publishes nothing when nothing is pending', async () => {
    const { router, bus } = setUp();
    await router.deliverStored(BOB, 'bob-desk', NOW);
    expect(bus.records).toEqual([]);
  });
});

describe('ImRouter plain SIP devices', () => {
  const registered = (aor: string, deviceId: string, created = true) =>
    deviceRegisteredV1.build(
      {
        aor,
        deviceId,
        contact: `sip:${deviceId}@127.0.0.1`,
        edgeId: 'edge-0',
        flowId: `tcp:${deviceId}`,
        transport: 'tcp',
        expiresAt: new Date(NOW.getTime() + 3_600_000).toISOString(),
        created,
      },
      NOW,
    );

  /** The text/plain pushes to `deviceId`, with their places among all published records. */
  const plainPushesTo = (bus: RecordingBus, deviceId: string) =>
    bus.records
      .map((record, index) => ({ index, record }))
      .filter(({ record }) => record.topic.startsWith('edge.'))
      .map(({ index, record }) => ({ index, event: edgeOutboundV1.decode(record.value) as PushRequestedV1 }))
      .filter(({ event }) => event.deviceId === deviceId && event.contentType.startsWith('text/plain'));

  /**
   * `deviceId` got one text/plain push, `text`, published before the login.result (before the
   * first `publishedBeforeLoginResult` records).
   */
  const expectOnlyTextBeforeLoginResult = (
    bus: RecordingBus,
    deviceId: string,
    text: string,
    publishedBeforeLoginResult: number | undefined,
  ) => {
    const plainPushes = plainPushesTo(bus, deviceId);
    expect(plainPushes.map(({ event }) => event.body)).toEqual([text]);
    expect(publishedBeforeLoginResult).toBeDefined();
    expect(plainPushes.every(({ index }) => index < publishedBeforeLoginResult!)).toBe(true);
  };

  it('offers stored IMs as text/plain to a new device that did not log in within the grace period', async () => {
    const { router, directory, pushedTo, advance } = setUp([device(ALICE, 'alice-desk')]);
    await router.handleCommand(imSend('c-1', { messageId: 'm-1', text: 'one' }));
    await router.handleCommand(imSend('c-2', { messageId: 'm-2', text: 'two' }));
    directory.devices.push(device(BOB, 'bob-softphone', 'PLAIN'));
    await router.deviceRegistered(registered(BOB, 'bob-softphone'));

    expect(await router.deliverToPlainDevices()).toBe(0);
    advance(PLAIN_DEVICE_LOGIN_GRACE_MS);
    expect(await router.deliverToPlainDevices()).toBe(1);

    expect(
      pushedTo('bob-softphone').map((p) => [p.event.contentType, p.event.body, p.event.fromUri]),
    ).toEqual([
      ['text/plain;charset=utf-8', 'one', ALICE],
      ['text/plain;charset=utf-8', 'two', ALICE],
    ]);
    expect(await router.deliverToPlainDevices()).toBe(0);
  });

  it('does not offer a new device again an IM pushed to it live since it registered that awaits its outcome', async () => {
    const { router, directory, pushedTo, advance } = setUp([device(ALICE, 'alice-desk')]);
    await router.handleCommand(imSend('c-1', { messageId: 'm-1', text: 'stored' }));
    directory.devices.push(device(BOB, 'bob-softphone', 'PLAIN'));
    await router.deviceRegistered(registered(BOB, 'bob-softphone'));
    advance(PLAIN_DEVICE_LOGIN_GRACE_MS);
    // Live once its grace is over; the sweep comes after, before the push's outcome.
    await router.handleCommand(imSend('c-2', { messageId: 'm-2', text: 'live' }));

    expect(await router.deliverToPlainDevices()).toBe(1);

    expect(pushedTo('bob-softphone').map((p) => p.event.body)).toEqual(['live', 'stored']);
  });

  it('pushes no text/plain after the login.result of a device whose login it raced', async () => {
    const { router, bus, directory, plainDevices, pushedTo, advance } = setUp([device(ALICE, 'alice-desk')]);
    await router.handleCommand(imSend('c-1', { messageId: 'm-1', text: 'stored' }));
    directory.devices.push(device(BOB, 'bob-json', 'PLAIN'));
    await router.deviceRegistered(registered(BOB, 'bob-json'));
    advance(PLAIN_DEVICE_LOGIN_GRACE_MS);
    // A login held back past the grace is handled after the sweep read the device as plain and
    // before it published: auth saves the session and pushes login.result (as publishes so far).
    let publishedBeforeLoginResult: number | undefined;
    directory.afterLookUp = (found) => {
      if (found.deviceId !== 'bob-json') return;
      plainDevices.login(found, () => {
        found.carrier = 'INFO';
        publishedBeforeLoginResult = bus.records.length;
      });
    };

    expect(await router.deliverToPlainDevices()).toBe(1);

    expectOnlyTextBeforeLoginResult(bus, 'bob-json', 'stored', publishedBeforeLoginResult);
    expect(pushedTo('bob-json')).toHaveLength(1);
  });

  it('leaves out a queued device whose login got in before the sweep held it', async () => {
    const { router, directory, plainDevices, pushedTo, advance } = setUp([device(ALICE, 'alice-desk')]);
    await router.handleCommand(imSend('c-1', { messageId: 'm-1', text: 'stored' }));
    const bobJson = device(BOB, 'bob-json', 'PLAIN');
    directory.devices.push(bobJson);
    await router.deviceRegistered(registered(BOB, 'bob-json'));
    advance(PLAIN_DEVICE_LOGIN_GRACE_MS);
    plainDevices.login(bobJson, () => (bobJson.carrier = 'INFO'));

    expect(await router.deliverToPlainDevices()).toBe(1);
    expect(pushedTo('bob-json')).toEqual([]);

    // Its session-started gives it the IM as JSON.
    await router.deliverStored(BOB, 'bob-json', NOW);
    expect(pushedTo('bob-json').map((p) => [p.event.contentType, p.body?.['text']])).toEqual([
      ['application/vnd.herald+json', 'stored'],
    ]);
  });

  it('pushes a live text/plain IM before the login.result of a device whose login it holds off', async () => {
    const bobJson = device(BOB, 'bob-json', 'PLAIN');
    const { router, bus, plainDevices, pushedTo } = setUp([device(ALICE, 'alice-desk'), bobJson]);
    // The login (past the grace) is handled while the IM is being published.
    let publishedBeforeLoginResult: number | undefined;
    const publish = bus.publish.bind(bus);
    bus.publish = (records) => {
      plainDevices.login(bobJson, () => {
        bobJson.carrier = 'INFO';
        publishedBeforeLoginResult ??= bus.records.length;
      });
      return publish(records);
    };

    await router.handleCommand(imSend('c-1', { messageId: 'm-1', text: 'live' }));

    expectOnlyTextBeforeLoginResult(bus, 'bob-json', 'live', publishedBeforeLoginResult);
    expect(pushedTo('bob-json')).toHaveLength(1);
  });

  it('withholds a live IM from a plain device whose login got in after its lookup, and tells `stored`', async () => {
    const { router, bus, directory, plainDevices, pushedTo } = setUp([
      device(ALICE, 'alice-desk'),
      device(BOB, 'bob-json', 'PLAIN'),
    ]);
    directory.afterLookUp = (found) => {
      if (found.deviceId === 'bob-json') plainDevices.login(found, () => (found.carrier = 'INFO'));
    };

    await router.handleCommand(imSend('c-1', { messageId: 'm-1', text: 'live' }));

    expect(plainPushesTo(bus, 'bob-json')).toEqual([]);
    expect(pushedTo('bob-json')).toEqual([]);
    expect(pushedTo('alice-desk').map((p) => [p.body?.['type'], p.body?.['state']])).toEqual([
      ['im.send.result', undefined],
      ['im.status', 'stored'],
    ]);
  });

  it('forgets a new device that logged in, and ignores refreshed bindings', async () => {
    const { router, plainDevices, advance } = setUp();
    await router.deviceRegistered(registered(BOB, 'bob-desk'));
    await router.deviceRegistered(registered(BOB, 'bob-phone', false));
    expect([...plainDevices.queued.values()].map((q) => q.device)).toEqual([
      { aor: BOB, deviceId: 'bob-desk' },
    ]);

    await router.deliverStored(BOB, 'bob-desk', NOW);
    advance(PLAIN_DEVICE_LOGIN_GRACE_MS);

    expect(await router.deliverToPlainDevices()).toBe(0);
  });
});

describe('ImRouter.handleCommands (a run of one sender)', () => {
  /** The result and im.status pushes each alice device got, as [re or messageId, ok or state, error code]. */
  const senderView = (pushed: ReturnType<typeof setUp>['pushed']) =>
    pushed()
      .filter((p) => p.event.aor === ALICE)
      .map((p) => [
        p.event.deviceId,
        p.body?.['type'],
        p.body?.['re'] ?? p.body?.['messageId'],
        p.body?.['ok'] ?? p.body?.['state'],
        (p.body?.['error'] as { code?: string } | undefined)?.code,
      ]);

  const mixedRun = () => [
    imSend('c-1', { messageId: 'm-1' }),
    imSend('c-2', { messageId: 'm-1' }),
    imSend('c-1', { messageId: 'm-1' }),
    imSend('c-3', { messageId: 'm-1', text: 'something else' }),
    imSend('c-4', { to: `sip:nobody@${DOMAIN}`, messageId: 'm-4' }),
    imSend('c-5', { messageId: 'm-5' }, 'alice-new', 'MESSAGE'),
    imSend('c-6', { to: 'bob' }),
    imSend('c-7', { messageId: 'm-7', text: 'second' }),
    fromAlice({ id: 'c-8', type: 'presence.set', status: 'away' }),
  ];

  it('gives each command of a mixed run the result it gets alone, in order, in one publish after the commit', async () => {
    const devices = [
      device(ALICE, 'alice-desk'),
      device(ALICE, 'alice-new', 'PLAIN'),
      device(BOB, 'bob-desk'),
    ];
    const alone = setUp(devices);
    for (const event of mixedRun()) await alone.router.handleCommand(event);
    const together = setUp(devices);

    await together.router.handleCommands(mixedRun());

    expect(senderView(together.pushed)).toEqual(senderView(alone.pushed));
    expect(
      senderView(together.pushed).map(([deviceId, type, re, ok, code]) => [deviceId, type, re, ok, code]),
    ).toEqual([
      ['alice-desk', 'im.send.result', 'c-1', true, undefined],
      ['alice-desk', 'im.send.result', 'c-2', true, undefined],
      ['alice-desk', 'im.send.result', 'c-1', true, undefined],
      ['alice-desk', 'im.send.result', 'c-3', false, 'conflict'],
      ['alice-desk', 'im.send.result', 'c-4', true, undefined],
      ['alice-desk', 'im.status', 'm-4', 'failed', 'not-found'],
      ['alice-new', 'im.send.result', 'c-5', false, 'not-logged-in'],
      ['alice-desk', 'im.send.result', 'c-6', false, 'bad-request'],
      ['alice-desk', 'im.send.result', 'c-7', true, undefined],
      ['alice-desk', 'presence.set.result', 'c-8', false, 'bad-request'],
    ]);
    expect(together.pushedTo('bob-desk').map((p) => [p.body?.['messageId'], p.body?.['text']])).toEqual([
      ['m-1', 'hello'],
      ['m-7', 'second'],
    ]);
    expect(together.messages.rows.map((row) => row.messageId)).toEqual(['m-1', 'm-7']);
    expect([...together.messages.attempts.values()].map((a) => a.deviceId)).toEqual(['bob-desk', 'bob-desk']);
    expect(together.bus.events(IM_MESSAGE_ACCEPTED_V1).map((event) => event['messageId'])).toEqual([
      'm-1',
      'm-7',
    ]);
    // Every result, im.status and IM in one publish after the commit, command by command.
    expect(together.bus.publishCalls.map((call) => [...new Set(call.map((record) => record.key))])).toEqual([
      [ALICE, BOB],
    ]);
    // One claim for the accepted commands, one for the not-logged-in refusal (c-5), which is stored.
    expect(together.idempotency.claimAllCalls).toBe(2);
    expect(together.messages.claimAndInsertAllCalls).toBe(1);
  });

  it('re-sends the stored results of commands handled in an earlier run whose IMs were answered, and does nothing else', async () => {
    const { router, pushed, pushedTo, messages, bus, outcome } = setUp();
    await router.handleCommands([
      imSend('c-1', { messageId: 'm-1' }),
      imSend('c-2', { messageId: 'm-2', text: 'x' }),
    ]);
    await router.settleAll(pushedTo('bob-desk').map((p) => outcome(p.event.pushId, 'answered')));
    const before = pushed().length;
    const publishesBefore = bus.publishCalls.length;

    await router.handleCommands([
      imSend('c-1', { messageId: 'm-1' }),
      imSend('c-3', { messageId: 'm-2', text: 'other' }),
      imSend('c-2', { messageId: 'm-2', text: 'x' }),
    ]);

    expect(
      pushed()
        .slice(before)
        .map((p) => [p.event.deviceId, p.body?.['re'], p.body?.['ok']]),
    ).toEqual([
      ['alice-desk', 'c-1', true],
      ['alice-desk', 'c-3', false],
      ['alice-desk', 'c-2', true],
    ]);
    expect(messages.rows).toHaveLength(2);
    // The second run's results alone, in one publish.
    expect(bus.publishCalls).toHaveLength(publishesBefore + 1);
  });

  it('tells `stored` for each IM of a run to a recipient without devices, in its place', async () => {
    const { router, pushedTo, messages } = setUp([device(ALICE, 'alice-desk')]);

    await router.handleCommands([imSend('c-1', { messageId: 'm-1' }), imSend('c-2', { messageId: 'm-2' })]);

    expect(
      pushedTo('alice-desk').map((p) => [p.body?.['type'], p.body?.['re'] ?? p.body?.['messageId']]),
    ).toEqual([
      ['im.send.result', 'c-1'],
      ['im.status', 'm-1'],
      ['im.send.result', 'c-2'],
      ['im.status', 'm-2'],
    ]);
    expect(messages.rows.every((row) => row.storedNotifiedAt !== undefined)).toBe(true);
  });

  it('publishes nothing when the publish after the commit fails; the retried run sends the results and each IM once', async () => {
    const { router, bus, messages, pushedTo } = setUp();
    bus.failNext = new Error('broker down');

    await expect(
      router.handleCommands([imSend('c-1', { messageId: 'm-1' }), imSend('c-2', { messageId: 'm-2' })]),
    ).rejects.toThrow('broker down');
    expect(messages.rows.map((row) => row.messageId)).toEqual(['m-1', 'm-2']);
    expect(bus.records).toEqual([]);

    await router.handleCommands([imSend('c-1', { messageId: 'm-1' }), imSend('c-2', { messageId: 'm-2' })]);
    expect(pushedTo('bob-desk').map((p) => p.body?.['messageId'])).toEqual(['m-1', 'm-2']);
    expect(pushedTo('alice-desk').map((p) => [p.body?.['re'], p.body?.['ok']])).toEqual([
      ['c-1', true],
      ['c-2', true],
    ]);
  });

  it('locks several recipients of one run in sorted order', async () => {
    const { router, messages } = setUp();

    await router.handleCommands([imSend('c-1', { to: CAROL }), imSend('c-2', { to: BOB })]);

    expect(messages.locked).toEqual([BOB, CAROL]);
  });

  it('looks each sender device and recipient up once per run', async () => {
    const { router, directory } = setUp();
    const lookUpDevice = jest.spyOn(directory, 'device');
    const lookUpDevices = jest.spyOn(directory, 'loggedInDevices');

    await router.handleCommands([imSend('c-1'), imSend('c-2'), imSend('c-3')]);

    // The sending device is looked up with its user's registered devices.
    expect(lookUpDevice.mock.calls).toEqual([]);
    expect(lookUpDevices.mock.calls.map(([aors, options]) => [aors, options?.includePlainSip])).toEqual([
      [[ALICE], true],
      [[BOB], true],
    ]);
  });
});

describe('ImRouter.handleCommands (concurrent runs of several senders)', () => {
  const devices = [
    device(ALICE, 'alice-desk'),
    device(BOB, 'bob-desk'),
    device(CAROL, 'carol-desk'),
    device(DAVE, 'dave-desk'),
  ];
  /** One run of two im.send of `from` to `to`. */
  const runOf = (from: string, deviceId: string, to: string, text = 'hi') =>
    ['c-1', 'c-2'].map((id) => {
      const event = imSend(id, { to, text: `${text} ${id}`, messageId: `${deviceId}-${id}` }, deviceId);
      return { ...event, aor: from };
    });
  const runs = () => [
    runOf(ALICE, 'alice-desk', BOB),
    runOf(CAROL, 'carol-desk', DAVE),
    runOf(DAVE, 'dave-desk', ALICE),
  ];
  const bodiesTo = (context: ReturnType<typeof setUp>, deviceId: string) =>
    context.pushedTo(deviceId).map((p) => [p.body?.['type'], p.body?.['messageId'], p.body?.['ok']]);

  it('handles the runs submitted in one event-loop turn as one group: one transaction, one publish after it', async () => {
    const alone = setUp(devices);
    for (const run of runs()) await alone.router.handleCommands(run);
    const grouped = setUp(devices);

    await Promise.all(runs().map((run) => grouped.router.handleCommands(run)));

    expect(grouped.unitOfWork.transactions).toBe(1);
    expect(grouped.bus.publishCalls).toHaveLength(1);
    expect(grouped.idempotency.claimAllCalls).toBe(1);
    expect(grouped.messages.claimAndInsertAllCalls).toBe(1);
    expect(grouped.messages.locked).toEqual([ALICE, BOB, DAVE]);
    // A device's own results and the IMs others sent it are independent streams: each keeps its
    // order, not their interleaving.
    const ofType = (context: ReturnType<typeof setUp>, deviceId: string, type: string) =>
      bodiesTo(context, deviceId).filter(([pushType]) => pushType === type);
    for (const deviceId of ['alice-desk', 'bob-desk', 'carol-desk', 'dave-desk']) {
      for (const type of ['im.send.result', 'im']) {
        expect(ofType(grouped, deviceId, type)).toEqual(ofType(alone, deviceId, type));
      }
      expect(bodiesTo(grouped, deviceId)).toHaveLength(['bob-desk', 'carol-desk'].includes(deviceId) ? 2 : 4);
    }
  });

  it('fails only the run whose work fails: the runs grouped with it are committed', async () => {
    const { router, messages, pushedTo } = setUp(devices);
    messages.refusedText = 'poison c-2';
    const [first, poisoned, last] = [
      runOf(ALICE, 'alice-desk', BOB),
      runOf(CAROL, 'carol-desk', DAVE, 'poison'),
      runOf(DAVE, 'dave-desk', ALICE),
    ];

    const handled = await Promise.allSettled(
      [first, poisoned, last].map((run) => router.handleCommands(run)),
    );

    expect(handled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(messages.rows.map((row) => row.messageId)).toEqual([
      'alice-desk-c-1',
      'alice-desk-c-2',
      'dave-desk-c-1',
      'dave-desk-c-2',
    ]);
    expect(pushedTo('carol-desk')).toEqual([]);
    expect(pushedTo('dave-desk').map((p) => p.body?.['re'])).toEqual(['c-1', 'c-2']);
  });
});

describe('ImRouter.settleAll', () => {
  const fourUsers = () =>
    setUp([
      device(ALICE, 'alice-desk'),
      device(BOB, 'bob-desk'),
      device(CAROL, 'carol-desk'),
      device(DAVE, 'dave-desk'),
    ]);

  it('handles commands and outcomes submitted in one event-loop turn as one group: one transaction, one publish after it', async () => {
    const context = fourUsers();
    await context.router.handleCommand(imSend('c-1', { to: BOB, messageId: 'm-1' }));
    const [toBob] = [...context.messages.attempts.keys()];
    const transactionsBefore = context.unitOfWork.transactions;
    const publishesBefore = context.bus.publishCalls.length;

    await Promise.all([
      context.router.settleAll([context.outcome(toBob, 'answered')]),
      context.router.handleCommands([imSend('c-2', { to: CAROL, messageId: 'm-2' })]),
    ]);

    expect(context.unitOfWork.transactions - transactionsBefore).toBe(1);
    expect(context.bus.publishCalls.length - publishesBefore).toBe(1);
    expect(
      context.pushedTo('alice-desk').map((p) => [p.body?.['type'], p.body?.['re'] ?? p.body?.['messageId']]),
    ).toEqual([
      ['im.send.result', 'c-1'],
      ['im.send.result', 'c-2'],
      ['im.status', 'm-1'],
    ]);
    expect(context.pushedTo('carol-desk').map((p) => p.body?.['messageId'])).toEqual(['m-2']);
  });

  it('looks a group’s sending devices up and checks its recipients in ONE lookup', async () => {
    const context = fourUsers();

    await Promise.all([
      context.router.handleCommands([imSend('c-1', { to: BOB, messageId: 'm-1' })]),
      context.router.handleCommands([
        { ...imSend('c-2', { to: DAVE, messageId: 'm-2' }, 'carol-desk'), aor: CAROL },
      ]),
    ]);

    expect(context.sendChecks.lookups).toEqual([
      [
        [ALICE, CAROL],
        [BOB, DAVE],
      ],
    ]);
    expect(context.pushedTo('bob-desk').map((p) => p.body?.['messageId'])).toEqual(['m-1']);
    expect(context.pushedTo('dave-desk').map((p) => p.body?.['messageId'])).toEqual(['m-2']);
  });

  it('settles a group of answered outcomes alone in one statement that commits on its own, `delivered` after it', async () => {
    const context = fourUsers();
    await context.router.handleCommand(imSend('c-1', { to: BOB, messageId: 'm-1' }));
    const [toBob] = [...context.messages.attempts.keys()];
    const transactionsBefore = context.unitOfWork.transactions;
    const recordOutcomes = jest.spyOn(context.messages, 'recordOutcomes');

    await context.router.settleAll([context.outcome(toBob, 'answered')]);

    expect(context.unitOfWork.transactions - transactionsBefore).toBe(0);
    expect(context.unitOfWork.singleStatements).toBe(1);
    expect(recordOutcomes).toHaveBeenCalledTimes(1);
    expect(context.messages.attempts.get(toBob)?.outcome).toBe('answered');
    expect(context.pushedTo('alice-desk').map((p) => p.body?.['state'] ?? p.body?.['type'])).toEqual([
      'im.send.result',
      'delivered',
    ]);
  });

  it('records the new IMs’ delivery attempts of a group in the statement that records its outcomes', async () => {
    const context = fourUsers();
    await context.router.handleCommand(imSend('c-1', { to: BOB, messageId: 'm-1' }));
    const [toBob] = [...context.messages.attempts.keys()];
    const recordAttempts = jest.spyOn(context.messages, 'recordAttempts');
    const recordOutcomes = jest.spyOn(context.messages, 'recordOutcomes');

    await Promise.all([
      context.router.settleAll([context.outcome(toBob, 'answered')]),
      context.router.handleCommands([imSend('c-2', { to: CAROL, messageId: 'm-2' })]),
    ]);

    expect(recordOutcomes).toHaveBeenCalledTimes(1);
    const [, outcomes, attempts] = recordOutcomes.mock.calls[0]!;
    expect(outcomes.map((outcome) => outcome.pushId)).toEqual([toBob]);
    expect(attempts?.map((attempt) => [attempt.recipientAor, attempt.deviceId])).toEqual([
      [CAROL, 'carol-desk'],
    ]);
    expect(recordAttempts).not.toHaveBeenCalled();
    expect([...context.messages.attempts.values()].map((attempt) => attempt.recipientAor)).toContain(CAROL);
    expect(context.pushedTo('carol-desk').map((p) => p.body?.['messageId'])).toEqual(['m-2']);
  });

  it('takes the recipient locks of a group’s outcomes and commands in one statement, in lock order, before any write', async () => {
    const context = fourUsers();
    await context.router.handleCommand(imSend('c-1', { to: DAVE, messageId: 'm-1' }));
    const [toDave] = [...context.messages.attempts.keys()];
    const lockCalls: string[][] = [];
    const lockRecipients = context.messages.lockRecipients.bind(context.messages);
    const locking = jest.spyOn(context.messages, 'lockRecipients').mockImplementation(async (tx, aors) => {
      lockCalls.push([...aors]);
      return lockRecipients(tx, aors);
    });
    const recordOutcomes = jest.spyOn(context.messages, 'recordOutcomes');
    const claimAndInsertAll = jest.spyOn(context.messages, 'claimAndInsertAll');

    await Promise.all([
      context.router.handleCommands([imSend('c-2', { to: CAROL, messageId: 'm-2' })]),
      context.router.settleAll([context.outcome(toDave, 'timed-out')]),
    ]);

    // The first statement locks both; the insert's own locks (held already) come after.
    expect(inLockOrder(lockCalls[0])).toEqual(inLockOrder([CAROL, DAVE]));
    expect(lockCalls[0]).toHaveLength(2);
    expect(claimAndInsertAll).toHaveBeenCalledTimes(1);
    expect(recordOutcomes).toHaveBeenCalledTimes(1);
    expect(locking.mock.invocationCallOrder[0]).toBeLessThan(claimAndInsertAll.mock.invocationCallOrder[0]);
    expect(locking.mock.invocationCallOrder[0]).toBeLessThan(recordOutcomes.mock.invocationCallOrder[0]);
    // `stored` went out before the commit; the command's result and IM after it.
    expect(
      context.pushedTo('alice-desk').map((p) => [p.body?.['type'], p.body?.['re'] ?? p.body?.['state']]),
    ).toEqual([
      ['im.send.result', 'c-1'],
      ['im.status', 'stored'],
      ['im.send.result', 'c-2'],
    ]);
  });

  it('settles the runs of several recipients submitted in one event-loop turn as one group', async () => {
    const context = setUp([
      device(ALICE, 'alice-desk'),
      device(BOB, 'bob-desk'),
      device(CAROL, 'carol-desk'),
      device(DAVE, 'dave-desk'),
    ]);
    for (const [id, to] of [
      ['c-1', BOB],
      ['c-2', CAROL],
      ['c-3', DAVE],
    ]) {
      await context.router.handleCommand(imSend(id, { to, messageId: `m-${id}` }));
    }
    const [toBob, toCarol, toDave] = [...context.messages.attempts.keys()];
    const runs = [
      [context.outcome(toBob, 'answered')],
      [context.outcome(toCarol, 'answered')],
      [context.outcome(toDave, 'timed-out')],
    ];
    const transactionsBefore = context.unitOfWork.transactions;
    const publishesBefore = context.bus.publishCalls.length;
    context.messages.locked.length = 0;

    await Promise.all(runs.map((run) => context.router.settleAll(run)));

    expect(context.unitOfWork.transactions - transactionsBefore).toBe(1);
    expect(context.bus.publishCalls.length - publishesBefore).toBe(1);
    expect(context.messages.locked).toEqual([BOB, CAROL, DAVE]);
    expect(
      context
        .pushedTo('alice-desk')
        .filter((p) => p.body?.['type'] === 'im.status')
        .map((p) => [p.body?.['messageId'], p.body?.['state']]),
    ).toEqual([
      ['m-c-1', 'delivered'],
      ['m-c-2', 'delivered'],
      ['m-c-3', 'stored'],
    ]);
  });

  it('settles a run of outcomes in one publish with the statuses each gets alone', async () => {
    const devices = [device(ALICE, 'alice-desk'), device(BOB, 'bob-desk'), device(BOB, 'bob-phone')];
    const outcomesOf = async (context: ReturnType<typeof setUp>) => {
      await context.router.handleCommands([
        imSend('c-1', { messageId: 'm-1' }),
        imSend('c-2', { messageId: 'm-2' }),
        imSend('c-3', { messageId: 'm-3' }),
      ]);
      const [m1desk, m1phone, m2desk, m2phone, m3desk] = [...context.messages.attempts.keys()];
      return [
        context.outcome(m1desk, 'answered'),
        context.outcome(m1phone, 'answered'),
        context.outcome(m2desk, 'timed-out'),
        context.outcome(m2phone, 'no-flow'),
        context.outcome(m3desk, 'failed'),
      ];
    };
    const statuses = (context: ReturnType<typeof setUp>) =>
      context
        .pushedTo('alice-desk')
        .filter((p) => p.body?.['type'] === 'im.status')
        .map((p) => [p.body?.['messageId'], p.body?.['state']]);
    const alone = setUp(devices);
    for (const outcome of await outcomesOf(alone)) await alone.router.settle(outcome);
    const together = setUp(devices);
    const outcomes = await outcomesOf(together);
    const publishesBefore = together.bus.publishCalls.length;

    await together.router.settleAll(outcomes);

    expect(statuses(together)).toEqual(statuses(alone));
    expect(statuses(together)).toEqual([
      ['m-1', 'delivered'],
      ['m-2', 'stored'],
    ]);
    expect(together.bus.publishCalls).toHaveLength(publishesBefore + 1);
  });
});
