import { MessageRetention, type NewMessage, type PushOutcomeKind } from '#herald/domain';
import {
  entityManagerOf,
  SqlMessageRetentionStore,
  SqlMessageStore,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../support/database';
import { insertMessages } from '../support/messages';

const ALICE = 'sip:alice@herald.example';
const DAY_MS = 24 * 60 * 60 * 1000;
const RETENTION_MS = 7 * DAY_MS;
/** The sweep's clock: every row below is dated relative to it. */
const NOW = new Date('2026-06-01T00:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

describe('message retention (real PostgreSQL)', () => {
  let dataSource: DataSource;
  let unitOfWork: TypeOrmUnitOfWork;
  const messages = new SqlMessageStore();
  let recipients = 0;

  beforeAll(async () => {
    dataSource = await createMigratedDataSource();
    unitOfWork = new TypeOrmUnitOfWork(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  /** A retention of RETENTION_MS at NOW, recording what each batch deleted. */
  function retentionAtNow(batchSize: number, batches: number[] = []): MessageRetention {
    return new MessageRetention({
      unitOfWork,
      store: new SqlMessageRetentionStore(),
      retentionMs: RETENTION_MS,
      batchSize,
      now: () => NOW,
      deleted: (count) => batches.push(count),
    });
  }

  /** Stores a message of ALICE to a recipient of its own (sent `sentDaysAgo`); returns its key. */
  async function stored(
    messageId: string,
    sentDaysAgo: number,
  ): Promise<{ key: string; recipientAor: string }> {
    const recipientAor = `sip:bob${++recipients}@herald.example`;
    const message: NewMessage = {
      senderAor: ALICE,
      commandId: `c-${messageId}`,
      messageId,
      recipientAor,
      text: 'hello',
      sentAt: daysAgo(sentDaysAgo),
    };
    const [inserted] = await unitOfWork.run((tx) => insertMessages(messages, tx, [message]));
    return { key: inserted.message.key, recipientAor };
  }

  /** Pushes a message to a device `attemptedDaysAgo`, then records `outcome` (if any) `settledDaysAgo`. */
  async function pushed(
    message: { key: string; recipientAor: string },
    pushId: string,
    attemptedDaysAgo: number,
    outcome?: { kind: PushOutcomeKind; settledDaysAgo: number },
  ): Promise<void> {
    await unitOfWork.run(async (tx) => {
      await messages.recordAttempts(tx, [
        {
          pushId,
          messageKey: message.key,
          recipientAor: message.recipientAor,
          deviceId: `${pushId}-device`,
          attemptedAt: daysAgo(attemptedDaysAgo),
        },
      ]);
      if (outcome !== undefined) {
        await messages.recordOutcomes(tx, [
          { pushId, outcome: outcome.kind, at: daysAgo(outcome.settledDaysAgo) },
        ]);
      }
    });
  }

  async function messageIds(): Promise<string[]> {
    const rows: Array<{ message_id: string }> = await dataSource.query(
      `SELECT message_id FROM messages ORDER BY message_id`,
    );
    return rows.map((row) => row.message_id);
  }

  async function deliveryPushIds(): Promise<string[]> {
    const rows: Array<{ push_id: string }> = await dataSource.query(
      `SELECT push_id FROM message_deliveries ORDER BY push_id`,
    );
    return rows.map((row) => row.push_id);
  }

  beforeEach(async () => {
    await dataSource.query(`DELETE FROM messages`);
  });

  it('deletes messages delivered before the retention with their attempts, in batches, and keeps the offline store, recent deliveries and pushes in flight', async () => {
    for (const index of [1, 2, 3, 4, 5]) {
      const old = await stored(`old-delivered-${index}`, 10);
      await pushed(old, `push-old-${index}`, 10, { kind: 'answered', settledDaysAgo: 9 });
    }
    // Failed on one device (twice), answered on another: delivered all the same.
    const mixed = await stored('old-delivered-6', 12);
    await pushed(mixed, 'push-mixed-failed', 12, { kind: 'failed', settledDaysAgo: 12 });
    await pushed(mixed, 'push-mixed-timed-out', 12, { kind: 'timed-out', settledDaysAgo: 12 });
    await pushed(mixed, 'push-mixed-answered', 11, { kind: 'answered', settledDaysAgo: 11 });
    // The offline store, however old: never pushed, and pushed to devices that could not take it.
    await stored('offline-never-pushed', 60);
    const unreachable = await stored('offline-unreachable', 30);
    await pushed(unreachable, 'push-unreachable', 30, { kind: 'no-flow', settledDaysAgo: 30 });
    // In flight: no device has answered yet.
    const inFlight = await stored('offline-in-flight', 8);
    await pushed(inFlight, 'push-in-flight', 0.001);
    // Delivered within the retention.
    const recent = await stored('recent-delivered', 8);
    await pushed(recent, 'push-recent', 8, { kind: 'answered', settledDaysAgo: 6 });
    // Delivered long ago, but pushed again to another device since (still awaiting its outcome).
    const repushed = await stored('old-delivered-repushed', 20);
    await pushed(repushed, 'push-repushed-answered', 20, { kind: 'answered', settledDaysAgo: 20 });
    await pushed(repushed, 'push-repushed-in-flight', 1);

    const batches: number[] = [];
    expect(await retentionAtNow(2, batches).sweep()).toBe(6);

    expect(batches).toEqual([2, 2, 2, 0]);
    expect(await messageIds()).toEqual([
      'offline-in-flight',
      'offline-never-pushed',
      'offline-unreachable',
      'old-delivered-repushed',
      'recent-delivered',
    ]);
    expect(await deliveryPushIds()).toEqual([
      'push-in-flight',
      'push-recent',
      'push-repushed-answered',
      'push-repushed-in-flight',
      'push-unreachable',
    ]);
    expect(await retentionAtNow(2).sweep()).toBe(0);
  });

  it('deletes a message whose push got no outcome before the retention (its edge died with it)', async () => {
    const abandoned = await stored('old-abandoned-push', 15);
    await pushed(abandoned, 'push-abandoned-answered', 15, { kind: 'answered', settledDaysAgo: 15 });
    await pushed(abandoned, 'push-abandoned-lost', 14);

    expect(await retentionAtNow(10).sweep()).toBe(1);
    expect(await messageIds()).toEqual([]);
    expect(await deliveryPushIds()).toEqual([]);
  });

  it('skips a message another transaction holds and deletes it at the next sweep', async () => {
    const held = await stored('old-held', 10);
    await pushed(held, 'push-held', 10, { kind: 'answered', settledDaysAgo: 10 });
    const free = await stored('old-free', 10);
    await pushed(free, 'push-free', 10, { kind: 'answered', settledDaysAgo: 10 });

    const holder = dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.startTransaction();
      await holder.query(`SELECT 1 FROM messages WHERE id = $1 FOR UPDATE`, [held.key]);
      expect(await retentionAtNow(10).sweep()).toBe(1);
      expect(await messageIds()).toEqual(['old-held']);
      await holder.commitTransaction();
    } finally {
      await holder.release();
    }
    expect(await retentionAtNow(10).sweep()).toBe(1);
    expect(await messageIds()).toEqual([]);
  });

  it('can read the delivered messages through ix_messages_delivered_at', async () => {
    // With scans of the whole table ruled out: a table this small is cheaper to scan, a large one
    // is not, and what matters is that the sweep's predicate matches the partial index.
    const plan = await unitOfWork.run(async (tx) => {
      const manager = entityManagerOf(tx);
      await manager.query(`SET LOCAL enable_seqscan = off`);
      const rows: Array<{ 'QUERY PLAN': string }> = await manager.query(
        `EXPLAIN SELECT id FROM messages WHERE delivered_at < $1 ORDER BY delivered_at LIMIT 500`,
        [NOW],
      );
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('ix_messages_delivered_at');
  });
});
