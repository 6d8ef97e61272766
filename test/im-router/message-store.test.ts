import {
  type DeliveryAttempt,
  type NewMessage,
  type PushOutcomeKind,
  type StoredMessage,
  Transaction,
} from '#herald/domain';
import {
  createDataSource,
  entityManagerOf,
  SqlAccountDirectory,
  SqlAccountRepository,
  SqlMessageStore,
  SqlPlainDeviceQueue,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource, migratedTestDatabase, waitForLockWaiters } from '../support/database';
import { insertMessages } from '../support/messages';

const ALICE = 'sip:alice@herald.example';
const BOB = 'sip:bob@herald.example';
const CAROL = 'sip:carol@herald.example';
const SENT_AT = new Date('2026-01-02T03:04:05.000Z');

describe('SqlMessageStore (real PostgreSQL)', () => {
  let dataSource: DataSource;
  let unitOfWork: TypeOrmUnitOfWork;
  const store = new SqlMessageStore();

  beforeAll(async () => {
    dataSource = await createMigratedDataSource();
    unitOfWork = new TypeOrmUnitOfWork(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const newMessage = (messageId: string, text = 'hello') => ({
    senderAor: ALICE,
    commandId: `c-${messageId}`,
    messageId,
    recipientAor: BOB,
    text,
    sentAt: SENT_AT,
  });

  /** Records one outcome. */
  const recordOutcome = async (tx: Transaction, pushId: string, outcome: PushOutcomeKind, at: Date) =>
    (await store.recordOutcomes(tx, [{ pushId, outcome, at }]))[0];

  /** Inserts messages in one transaction; returns their keys. */
  const insertKeys = async (...messageIds: string[]) =>
    (
      await unitOfWork.run((tx) =>
        insertMessages(
          store,
          tx,
          messageIds.map((id) => newMessage(id)),
        ),
      )
    ).map((inserted) => inserted.message.key);

  /** An attempt to one of BOB's devices. */
  const attemptTo =
    (deviceId: string) =>
    (pushId: string, messageKey: string, attemptedAt: Date): DeliveryAttempt => ({
      pushId,
      messageKey,
      recipientAor: BOB,
      deviceId,
      attemptedAt,
    });

  /** Inserts one message in its own transaction. */
  const insertOne = async (message: NewMessage) =>
    (await unitOfWork.run((tx) => insertMessages(store, tx, [message])))[0];

  it('stores a message once per (sender, messageId) and returns the stored one to a second insert', async () => {
    const first = await insertOne(newMessage('m-1'));
    const second = await insertOne(newMessage('m-1', 'other text'));

    expect(first.created).toBe(true);
    expect(first.message).toEqual({ ...newMessage('m-1'), key: expect.any(String) });
    expect(second).toEqual({ created: false, message: first.message });
    const count: Array<{ n: string }> = await dataSource.query(
      `SELECT count(*) AS n FROM messages WHERE message_id = 'm-1'`,
    );
    expect(count[0].n).toBe('1');
  });

  it('stores a batch in input order, returning earlier ones as stored before', async () => {
    // Recipients of their own: the pending lists of the other tests stay as they expect.
    const toCarol = (messageId: string, text?: string) => ({
      ...newMessage(messageId, text),
      recipientAor: 'sip:carol@herald.example',
    });
    const earlier = await insertOne(toCarol('m-50'));

    const batch = await unitOfWork.run((tx) =>
      insertMessages(store, tx, [
        toCarol('m-52'),
        toCarol('m-50', 'other text'),
        { ...newMessage('m-51'), recipientAor: 'sip:dave@herald.example' },
      ]),
    );

    expect(
      batch.map((inserted) => [inserted.created, inserted.message.messageId, inserted.message.text]),
    ).toEqual([
      [true, 'm-52', 'hello'],
      [false, 'm-50', 'hello'],
      [true, 'm-51', 'hello'],
    ]);
    expect(batch[1].message).toEqual(earlier.message);
    const order: Array<{ message_id: string }> = await dataSource.query(
      `SELECT message_id FROM messages WHERE message_id IN ('m-50', 'm-51', 'm-52') ORDER BY seq`,
    );
    expect(order.map((row) => row.message_id)).toEqual(['m-50', 'm-52', 'm-51']);
  });

  it('lists a recipient’s undelivered messages in insertion order and drops delivered ones', async () => {
    const keys: string[] = [];
    for (const id of ['m-10', 'm-12', 'm-11']) {
      keys.push((await insertOne(newMessage(id))).message.key);
    }
    await unitOfWork.run(async (tx) => {
      await store.recordAttempts(tx, [
        { pushId: 'p-10', messageKey: keys[0], recipientAor: BOB, deviceId: 'desk', attemptedAt: SENT_AT },
      ]);
      const settled = await recordOutcome(tx, 'p-10', 'answered', SENT_AT);
      expect(settled?.message.messageId).toBe('m-10');
      expect(settled?.firstAnswer).toBe(true);
      // The same answer again (a redelivery: ImSettle tells `delivered` after its commit, which
      // may have been lost) is the answer that delivered it still.
      const again = await recordOutcome(tx, 'p-10', 'answered', SENT_AT);
      expect(again).toEqual({ message: settled?.message, firstAnswer: true });
    });

    const pending = await unitOfWork.run((tx) => store.pendingFor(tx, BOB));

    expect(pending.map((m) => m.messageId)).toEqual(['m-1', 'm-12', 'm-11']);
    expect(await unitOfWork.run((tx) => store.pendingFor(tx, ALICE))).toEqual([]);
  });

  it('leaves out of a device’s pending list only what is in flight to it since its login', async () => {
    const keys = await insertKeys('m-30', 'm-31', 'm-32');
    const loginAt = new Date(SENT_AT.getTime() + 1_000);
    const attempt = attemptTo('phone');
    await unitOfWork.run(async (tx) => {
      await store.recordAttempts(tx, [
        attempt('p-30', keys[0]!, loginAt), // this session, in flight: left out
        attempt('p-31', keys[1]!, SENT_AT), // an earlier session, no outcome ever: offered again
        attempt('p-32', keys[2]!, loginAt), // this session, timed out: offered again
      ]);
      await recordOutcome(tx, 'p-32', 'timed-out', loginAt);
    });

    const pending = await unitOfWork.run((tx) =>
      store.pendingFor(tx, BOB, { deviceId: 'phone', since: loginAt }),
    );
    const others = await unitOfWork.run((tx) =>
      store.pendingFor(tx, BOB, { deviceId: 'desk', since: loginAt }),
    );

    expect(pending.map((m) => m.messageId).filter((id) => id.startsWith('m-3'))).toEqual(['m-31', 'm-32']);
    expect(others.map((m) => m.messageId).filter((id) => id.startsWith('m-3'))).toEqual([
      'm-30',
      'm-31',
      'm-32',
    ]);
  });

  it('records a push id attempted again as in flight again (the same message to the same device)', async () => {
    const keys = await insertKeys('m-40', 'm-41');
    const loginAt = new Date(SENT_AT.getTime() + 1_000);
    const attempt = attemptTo('tablet');
    await unitOfWork.run(async (tx) => {
      await store.recordAttempts(tx, [
        attempt('p-40', keys[0]!, SENT_AT),
        attempt('p-41', keys[1]!, SENT_AT),
      ]);
      await recordOutcome(tx, 'p-40', 'timed-out', SENT_AT);
    });
    // Offered again at a login: the timed-out one and the one of an earlier session.
    await unitOfWork.run((tx) =>
      store.recordAttempts(tx, [attempt('p-40', keys[0]!, loginAt), attempt('p-41', keys[1]!, loginAt)]),
    );

    const pending = await unitOfWork.run((tx) =>
      store.pendingFor(tx, BOB, { deviceId: 'tablet', since: loginAt }),
    );
    expect(pending.map((m) => m.messageId).filter((id) => id.startsWith('m-4'))).toEqual([]);
  });

  it('records a batch of outcomes in order: the first answer of a message delivers it, the last outcome stays', async () => {
    const { message } = await insertOne(newMessage('m-60'));
    const attempt = (pushId: string, deviceId: string) => ({
      pushId,
      messageKey: message.key,
      recipientAor: BOB,
      deviceId,
      attemptedAt: SENT_AT,
    });
    await unitOfWork.run((tx) =>
      store.recordAttempts(tx, [
        attempt('p-60', 'desk'),
        attempt('p-61', 'phone'),
        attempt('p-62', 'tablet'),
      ]),
    );

    const settled = await unitOfWork.run((tx) =>
      store.recordOutcomes(tx, [
        { pushId: 'p-60', outcome: 'timed-out', at: SENT_AT },
        { pushId: 'p-unknown', outcome: 'answered', at: SENT_AT },
        { pushId: 'p-61', outcome: 'answered', at: SENT_AT },
        { pushId: 'p-62', outcome: 'answered', at: SENT_AT },
        { pushId: 'p-60', outcome: 'no-flow', at: SENT_AT },
      ]),
    );

    expect(settled.map((push) => push && [push.message.messageId, push.firstAnswer])).toEqual([
      ['m-60', false],
      undefined,
      ['m-60', true],
      ['m-60', false],
      ['m-60', false],
    ]);
    const outcomes: Array<{ push_id: string; outcome: string }> = await dataSource.query(
      `SELECT push_id, outcome FROM message_deliveries WHERE push_id IN ('p-60', 'p-61', 'p-62') ORDER BY push_id`,
    );
    expect(outcomes.map((row) => [row.push_id, row.outcome])).toEqual([
      ['p-60', 'no-flow'],
      ['p-61', 'answered'],
      ['p-62', 'answered'],
    ]);

    // Redelivered, in another transaction: only the answer that delivered it is its first answer.
    const redelivered = await unitOfWork.run((tx) =>
      store.recordOutcomes(tx, [
        { pushId: 'p-62', outcome: 'answered', at: SENT_AT },
        { pushId: 'p-61', outcome: 'answered', at: SENT_AT },
        { pushId: 'p-60', outcome: 'no-flow', at: SENT_AT },
      ]),
    );
    expect(redelivered.map((push) => push && [push.message.messageId, push.firstAnswer])).toEqual([
      ['m-60', false],
      ['m-60', true],
      ['m-60', false],
    ]);
  });

  it.each([
    ['one outcome', 1],
    ['several outcomes', 2],
  ])('records the attempts given with %s in the same statement; no outcome finds them', async (_, count) => {
    const [earlier, created] = await insertKeys(`m-70-${count}`, `m-71-${count}`);
    const desk = attemptTo('desk');
    const pushIds = (kind: string) =>
      Array.from({ length: count }, (_, index) => `p-70-${count}-${kind}-${index}`);
    await unitOfWork.run((tx) =>
      store.recordAttempts(
        tx,
        pushIds('out').map((pushId) => desk(pushId, earlier!, SENT_AT)),
      ),
    );
    const attempts = pushIds('new').map((pushId) => desk(pushId, created!, SENT_AT));
    const answered = (pushId: string) => ({ pushId, outcome: 'answered' as const, at: SENT_AT });
    // With several outcomes, the last is of an attempt recorded in the same statement.
    const outcomes =
      count === 1
        ? pushIds('out').map(answered)
        : [...pushIds('out').map(answered), answered(attempts[0]!.pushId)];

    const settled = await unitOfWork.run((tx) => store.recordOutcomes(tx, outcomes, attempts));

    expect(settled.map((push) => push && [push.message.key, push.firstAnswer])).toEqual([
      [earlier, true],
      ...(count === 1 ? [] : [[earlier, false], undefined]),
    ]);
    const rows: Array<{ push_id: string; outcome: string | null }> = await dataSource.query(
      `SELECT push_id, outcome FROM message_deliveries WHERE push_id = ANY($1)`,
      [[...pushIds('out'), ...pushIds('new')]],
    );
    const outcomeOf = new Map(rows.map((row) => [row.push_id, row.outcome]));
    expect(pushIds('out').map((pushId) => outcomeOf.get(pushId))).toEqual(
      pushIds('out').map(() => 'answered'),
    );
    expect(pushIds('new').map((pushId) => outcomeOf.get(pushId))).toEqual(pushIds('new').map(() => null));
  });

  it('marks `stored` only when no attempt is in flight, and only once', async () => {
    const { message } = await insertOne(newMessage('m-20'));
    await unitOfWork.run((tx) =>
      store.recordAttempts(tx, [
        {
          pushId: 'p-20',
          messageKey: message.key,
          recipientAor: BOB,
          deviceId: 'desk',
          attemptedAt: SENT_AT,
        },
        {
          pushId: 'p-21',
          messageKey: message.key,
          recipientAor: BOB,
          deviceId: 'phone',
          attemptedAt: SENT_AT,
        },
      ]),
    );

    const afterFirst = await unitOfWork.run(async (tx) => {
      await recordOutcome(tx, 'p-20', 'timed-out', SENT_AT);
      return store.markStoredIfUnreachable(tx, [message.key], SENT_AT);
    });
    const afterSecond = await unitOfWork.run(async (tx) => {
      await recordOutcome(tx, 'p-21', 'no-flow', SENT_AT);
      return store.markStoredIfUnreachable(tx, [message.key], SENT_AT);
    });
    const again = await unitOfWork.run((tx) => store.markStoredIfUnreachable(tx, [message.key], SENT_AT));

    expect([afterFirst, afterSecond, again].map((marked) => [...marked])).toEqual([[], [message.key], []]);
  });

  it('finds the undelivered messages, whether their sender was told `stored`, and the devices their push awaits an outcome from', async () => {
    // Ids of their own: the store keeps earlier tests' messages. m-72: never told `stored`, pushed
    // to two devices, one of which failed; m-73: pushed to two devices, none answered yet.
    const [told, answered, failedOnce, inFlight] = await insertKeys('m-70', 'm-71', 'm-72', 'm-73');
    await unitOfWork.run(async (tx) => {
      await store.markStoredIfUnreachable(tx, [told, answered], SENT_AT);
      await store.recordAttempts(tx, [
        attemptTo('desk')('p-71', answered, SENT_AT),
        attemptTo('desk')('p-72', failedOnce, SENT_AT),
        attemptTo('phone')('p-72b', failedOnce, SENT_AT),
        attemptTo('phone')('p-73', inFlight, SENT_AT),
        attemptTo('desk')('p-73b', inFlight, SENT_AT),
      ]);
      await recordOutcome(tx, 'p-71', 'answered', SENT_AT);
      await recordOutcome(tx, 'p-72', 'failed', SENT_AT);
    });

    const found = await unitOfWork.run((tx) =>
      store.findUndelivered(tx, [
        { senderAor: ALICE, messageId: 'm-70' },
        { senderAor: ALICE, messageId: 'm-71' },
        { senderAor: ALICE, messageId: 'm-72' },
        { senderAor: ALICE, messageId: 'm-73' },
        { senderAor: CAROL, messageId: 'm-70' },
      ]),
    );

    expect(
      found
        .map(({ message, storedTold, inFlightTo }) => [message.key, storedTold, inFlightTo])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual(
      [
        [told, true, []],
        [failedOnce, false, ['phone']],
        [inFlight, false, ['desk', 'phone']],
      ].sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  });

  it('returns nothing for the outcome of a push it did not record', async () => {
    expect(await unitOfWork.run((tx) => recordOutcome(tx, 'p-unknown', 'answered', SENT_AT))).toBe(undefined);
  });

  it('makes a second transaction wait for a recipient lock until the first ends', async () => {
    // The second takes several recipients' locks in one statement: it waits for the one held.
    const events: string[] = [];
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLocked!: () => void;
    const firstHasLock = new Promise<void>((resolve) => (firstLocked = resolve));

    const first = unitOfWork.run(async (tx: Transaction) => {
      await store.lockRecipients(tx, [BOB]);
      firstLocked();
      await firstMayEnd;
      events.push('first ends');
    });
    await firstHasLock;
    const second = unitOfWork.run(async (tx: Transaction) => {
      await store.lockRecipients(tx, [CAROL, BOB]);
      events.push('second locked');
    });
    const other = unitOfWork.run(async (tx: Transaction) => {
      await store.lockRecipients(tx, [ALICE]);
      events.push('other recipient locked');
    });
    await other;
    // The second transaction waits for BOB's lock before the first ends.
    await waitForLockWaiters(dataSource);
    releaseFirst();
    await Promise.all([first, second]);

    expect(events).toEqual(['other recipient locked', 'first ends', 'second locked']);
  });

  it('takes the recipient lock when inserting, so a new IM waits for a settle of the same recipient', async () => {
    const events: string[] = [];
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLocked!: () => void;
    const firstHasLock = new Promise<void>((resolve) => (firstLocked = resolve));

    const settle = unitOfWork.run(async (tx: Transaction) => {
      await store.lockRecipients(tx, [BOB]);
      firstLocked();
      await firstMayEnd;
      events.push('settle ends');
    });
    await firstHasLock;
    const insert = unitOfWork.run(async (tx: Transaction) => {
      await insertMessages(store, tx, [newMessage('m-40')]);
      events.push('inserted');
    });
    // The insert waits for the recipient lock before the settle ends.
    await waitForLockWaiters(dataSource);
    releaseFirst();
    await Promise.all([settle, insert]);

    expect(events).toEqual(['settle ends', 'inserted']);
  });

  /** A claim of an im-router command of ALICE. */
  const claimOf = (commandId: string, expectedResult?: object) => ({
    key: { service: 'im-router', aor: ALICE, commandId },
    expectedResult,
  });

  it('claims and stores in one statement: only the messages of first claims, a messageId repeated stored once', async () => {
    const toDave = (messageId: string, text?: string) => ({
      ...newMessage(messageId, text),
      recipientAor: 'sip:dave@herald.example',
    });
    const earlier = await unitOfWork.run((tx) =>
      store.claimAndInsertAll(
        tx,
        [claimOf('c-60', { stored: 60 }), claimOf('c-61')],
        [
          { claim: 0, message: toDave('m-claim-60') },
          { claim: 1, message: toDave('m-claim-61') },
        ],
      ),
    );
    expect(earlier.claims).toEqual([{ kind: 'first' }, { kind: 'first' }]);
    expect(earlier.messages.map((inserted) => inserted?.created)).toEqual([true, true]);

    const again = await unitOfWork.run((tx) =>
      store.claimAndInsertAll(
        tx,
        [claimOf('c-62'), claimOf('c-60'), claimOf('c-63'), claimOf('c-64')],
        [
          { claim: 1, message: toDave('m-claim-62') },
          { claim: 0, message: toDave('m-claim-63') },
          { claim: 2, message: toDave('m-claim-63', 'other text') },
          { claim: 3, message: toDave('m-claim-61', 'other text') },
        ],
      ),
    );

    expect(again.claims).toEqual([
      { kind: 'first' },
      { kind: 'duplicate', result: { stored: 60 } },
      { kind: 'first' },
      { kind: 'first' },
    ]);
    // m-claim-62's command was claimed before: its message is not stored.
    expect(again.messages[0]).toBeUndefined();
    expect(again.messages[1]).toEqual({
      created: true,
      message: { ...toDave('m-claim-63'), key: expect.any(String) },
    });
    // The second m-claim-63 finds the first, stored by this statement; m-claim-61 was stored before.
    expect(again.messages[2]).toEqual({ created: false, message: again.messages[1]!.message });
    expect(again.messages[3]).toEqual({ created: false, message: earlier.messages[1]!.message });
    const stored: Array<{ message_id: string; text: string }> = await dataSource.query(
      `SELECT message_id, text FROM messages WHERE message_id IN ('m-claim-60', 'm-claim-61', 'm-claim-62', 'm-claim-63') ORDER BY seq`,
    );
    expect(stored).toEqual([
      { message_id: 'm-claim-60', text: 'hello' },
      { message_id: 'm-claim-61', text: 'hello' },
      { message_id: 'm-claim-63', text: 'hello' },
    ]);
  });

  it('takes the claims before the recipient locks: a duplicate waits for the first claim, not for a lock', async () => {
    let releaseLock!: () => void;
    const lockMayEnd = new Promise<void>((resolve) => (releaseLock = resolve));
    let releaseClaim!: () => void;
    const claimMayEnd = new Promise<void>((resolve) => (releaseClaim = resolve));
    const held: Array<Promise<void>> = [];
    const hold = (work: (tx: Transaction) => Promise<unknown>, mayEnd: Promise<void>) =>
      new Promise<void>((taken) => {
        held.push(
          unitOfWork.run(async (tx: Transaction) => {
            await work(tx);
            taken();
            await mayEnd;
          }),
        );
      });
    // One transaction holds BOB's lock, another an uncommitted claim of c-70.
    await hold((tx) => store.lockRecipients(tx, [BOB]), lockMayEnd);
    await hold(
      (tx) =>
        store.claimAndInsertAll(
          tx,
          [claimOf('c-70', { first: true })],
          [{ claim: 0, message: { ...newMessage('m-claim-70'), recipientAor: CAROL } }],
        ),
      claimMayEnd,
    );

    const duplicate = unitOfWork.run((tx) =>
      store.claimAndInsertAll(tx, [claimOf('c-70')], [{ claim: 0, message: newMessage('m-claim-71') }]),
    );
    await waitForLockWaiters(dataSource);
    const waitingFor = async (): Promise<string[]> =>
      (
        (await dataSource.query(
          `SELECT l.locktype FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE NOT l.granted AND a.datname = current_database()`,
        )) as Array<{ locktype: string }>
      ).map((row) => row.locktype);
    // The claim's insert waits for the other transaction (its transaction id), not for BOB's lock.
    expect(await waitingFor()).toEqual(['transactionid']);
    releaseClaim();
    releaseLock();

    expect(await duplicate).toEqual({
      claims: [{ kind: 'duplicate', result: { first: true } }],
      messages: [undefined],
    });
    await Promise.all(held);
    const stored: unknown[] = await dataSource.query(
      `SELECT 1 FROM messages WHERE message_id = 'm-claim-71'`,
    );
    expect(stored).toEqual([]);
  });

  it('uses the pending index for a recipient’s undelivered messages', async () => {
    const plan: Array<{ 'QUERY PLAN': string }> = await dataSource.transaction(async (manager) => {
      // The table is tiny: forbid the sequential scan the planner would rightly prefer.
      await manager.query('SET LOCAL enable_seqscan = off');
      return manager.query(
        `EXPLAIN SELECT id FROM messages WHERE recipient_aor = $1 AND delivered_at IS NULL ORDER BY seq`,
        [BOB],
      );
    });
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('ix_messages_pending');
  });

  it('records outcomes in place: a page of attempts leaves room for their outcomes (HOT updates)', async () => {
    const erin = 'sip:erin@herald.example';
    // Several pages of attempts, settled in groups of im-router's size at 750 IM/s: with full pages
    // (fillfactor 100) 40 % of these outcomes moved their row to another page.
    const attempts = 300;
    const perSettle = 20;
    const pushIds = await unitOfWork.run(async (tx) => {
      const inserted = await insertMessages(
        store,
        tx,
        Array.from({ length: attempts }, (_, n) => ({ ...newMessage(`m-hot-${n}`), recipientAor: erin })),
      );
      const recorded = inserted.map(({ message }, n) => ({
        pushId: `p-hot-${n}`,
        messageKey: message.key,
        recipientAor: erin,
        deviceId: 'desk',
        attemptedAt: SENT_AT,
      }));
      await store.recordAttempts(tx, recorded);
      return recorded.map((attempt) => attempt.pushId);
    });

    let hotUpdates = 0;
    for (let first = 0; first < attempts; first += perSettle) {
      hotUpdates += await unitOfWork.run(async (tx) => {
        // The backend's count of HOT updates not yet sent to the statistics (it spans transactions).
        const hotSoFar = async () => {
          const [{ hot }]: Array<{ hot: string }> = await entityManagerOf(tx).query(
            `SELECT pg_stat_get_xact_tuples_hot_updated('message_deliveries'::regclass) AS hot`,
          );
          return Number(hot);
        };
        const before = await hotSoFar();
        await store.recordOutcomes(
          tx,
          pushIds
            .slice(first, first + perSettle)
            .map((pushId) => ({ pushId, outcome: 'answered' as const, at: SENT_AT })),
        );
        return (await hotSoFar()) - before;
      });
    }

    expect(hotUpdates).toBe(attempts);
  });

  it('queues plain device candidates: rescheduled, cancelled, taken once when due with their due time, oldest first', async () => {
    const queue = new SqlPlainDeviceQueue();
    const at = (seconds: number) => new Date(SENT_AT.getTime() + seconds * 1000);
    const desk = { aor: BOB, deviceId: 'desk' };
    const phone = { aor: BOB, deviceId: 'phone' };
    const laptop = { aor: ALICE, deviceId: 'laptop' };
    await unitOfWork.run(async (tx) => {
      await queue.schedule(tx, desk, at(30));
      await queue.schedule(tx, desk, at(3));
      await queue.schedule(tx, phone, at(1));
      await queue.schedule(tx, laptop, at(2));
      await queue.schedule(tx, { aor: ALICE, deviceId: 'gone' }, at(1));
      await queue.cancel(tx, { aor: ALICE, deviceId: 'gone' });
    });

    const notYet = await unitOfWork.run((tx) => queue.takeDue(tx, at(0), 10));
    const firstTwo = await unitOfWork.run((tx) => queue.takeDue(tx, at(5), 2));
    const rest = await unitOfWork.run((tx) => queue.takeDue(tx, at(5), 10));
    const none = await unitOfWork.run((tx) => queue.takeDue(tx, at(60), 10));

    expect([notYet, firstTwo, rest, none]).toEqual([
      [],
      [
        { ...phone, dueAt: at(1) },
        { ...laptop, dueAt: at(2) },
      ],
      [{ ...desk, dueAt: at(3) }],
      [],
    ]);
  });

  it('lets concurrent sweepers take different due devices', async () => {
    const queue = new SqlPlainDeviceQueue();
    const devices = ['a', 'b', 'c', 'd'].map((deviceId) => ({
      aor: `sip:sweep-${deviceId}@herald.example`,
      deviceId,
    }));
    await unitOfWork.run(async (tx) => {
      for (const device of devices) await queue.schedule(tx, device, SENT_AT);
    });
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstTook!: () => void;
    const firstHasTaken = new Promise<void>((resolve) => (firstTook = resolve));

    const first = unitOfWork.run(async (tx) => {
      const taken = await queue.takeDue(tx, SENT_AT, 2);
      firstTook();
      await firstMayCommit;
      return taken;
    });
    await firstHasTaken;
    const second = await unitOfWork.run((tx) => queue.takeDue(tx, SENT_AT, 10));
    releaseFirst();

    const all = [...(await first), ...second].map((d) => d.deviceId).sort();
    expect(all).toEqual(['a', 'b', 'c', 'd']);
    expect(second).toHaveLength(2);
  });

  it('finds enabled accounts only (SqlAccountDirectory over auth’s accounts)', async () => {
    const accounts = new SqlAccountRepository();
    const now = new Date();
    for (const [username, disabled] of [
      ['erin', false],
      ['frank', true],
    ] as const) {
      await unitOfWork.run((tx) =>
        accounts.insert(tx, {
          username,
          aor: `sip:${username}@herald.example`,
          realm: 'herald.example',
          ha1: { 'SHA-256': 'x', MD5: 'x' },
          disabled,
          profile: { settings: {} },
          createdAt: now,
          updatedAt: now,
        }),
      );
    }
    const directory = new SqlAccountDirectory(dataSource);

    expect(
      await Promise.all(
        ['erin', 'frank', 'nobody'].map((name) => directory.exists(`sip:${name}@herald.example`)),
      ),
    ).toEqual([true, false, false]);
  });
});

describe('SqlMessageStore on tables that grew after its statements were planned (real PostgreSQL)', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    const url = await migratedTestDatabase();
    // One connection: the plans PostgreSQL keeps for prepared statements are per connection.
    dataSource = createDataSource({ url, poolSize: 1 });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  /** Sequential scans of the IM tables so far (this connection's counts flushed first). */
  async function sequentialScans(): Promise<Record<string, number>> {
    await dataSource.query(`SELECT pg_stat_force_next_flush()`);
    const rows: Array<{ relname: string; seq_scan: string }> = await dataSource.query(
      `SELECT relname, seq_scan FROM pg_stat_user_tables WHERE relname IN ('messages', 'message_deliveries')`,
    );
    return Object.fromEntries(rows.map((row) => [row.relname, Number(row.seq_scan)]));
  }

  it('settles several outcomes through the primary keys, not by reading every stored message', async () => {
    const store = new SqlMessageStore();
    const unitOfWork = new TypeOrmUnitOfWork(dataSource);
    const attemptOf = (pushId: string, message: StoredMessage) => ({
      pushId,
      messageKey: message.key,
      recipientAor: BOB,
      deviceId: 'desk',
      attemptedAt: SENT_AT,
    });
    /**
     * Stores two messages to BOB's desk and settles both pushes in one statement; with `attempts`,
     * that statement also records the push of a third message (a group's new IM).
     */
    const settleTwo = async (round: string, attempts: 'alone' | 'with-attempts' = 'alone') => {
      const inserted = await unitOfWork.run(async (tx) => {
        const messages = await insertMessages(
          store,
          tx,
          [1, 2, 3].map((n) => ({
            senderAor: ALICE,
            commandId: `c-${round}-${n}`,
            messageId: `${round}-${n}`,
            recipientAor: BOB,
            text: 'x',
            sentAt: SENT_AT,
          })),
        );
        await store.recordAttempts(
          tx,
          messages.slice(0, 2).map(({ message }, index) => attemptOf(`p-${round}-${index}`, message)),
        );
        return messages;
      });
      return unitOfWork.run((tx) =>
        store.recordOutcomes(
          tx,
          [
            { pushId: `p-${round}-0`, outcome: 'answered', at: SENT_AT },
            { pushId: `p-${round}-1`, outcome: 'failed', at: SENT_AT },
          ],
          attempts === 'alone' ? [] : [attemptOf(`p-${round}-2`, inserted[2]!.message)],
        ),
      );
    };
    // Planned while the tables are small: after five executions PostgreSQL keeps a generic plan.
    for (let round = 0; round < 8; round++) {
      await settleTwo(`small-${round}`);
      await settleTwo(`small-attempts-${round}`, 'with-attempts');
    }
    // They grow, with no ANALYZE in between (autovacuum's first comes up to a minute later).
    await dataSource.query(
      `INSERT INTO messages (sender_aor, command_id, message_id, recipient_aor, text, sent_at)
       SELECT 'sip:bulk@herald.example', 'c-' || n, 'm-' || n, $1, 'x', $2 FROM generate_series(1, 5000) AS n`,
      [BOB, SENT_AT],
    );
    await dataSource.query(
      `INSERT INTO message_deliveries (push_id, message_key, recipient_aor, device_id, attempted_at)
       SELECT 'bulk-' || seq, id, recipient_aor, 'desk', sent_at FROM messages WHERE sender_aor = 'sip:bulk@herald.example'`,
    );
    const before = await sequentialScans();

    const settled = await settleTwo('grown');
    const settledWithAttempts = await settleTwo('grown-attempts', 'with-attempts');

    expect(settled.map((push) => [push?.message.messageId, push?.firstAnswer])).toEqual([
      ['grown-1', true],
      ['grown-2', false],
    ]);
    expect(settledWithAttempts.map((push) => [push?.message.messageId, push?.firstAnswer])).toEqual([
      ['grown-attempts-1', true],
      ['grown-attempts-2', false],
    ]);
    expect(await sequentialScans()).toEqual(before);
  });
});
