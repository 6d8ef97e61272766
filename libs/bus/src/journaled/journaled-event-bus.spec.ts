import { BusUnavailableError } from '../event-bus';
import { IN_PROCESS_PARTITIONS, partitionForKey } from '../in-process-event-bus';
import {
  JOURNAL_AWAITED_TIMEOUT_MS,
  JOURNAL_COMMIT_INTERVAL_MS,
  JOURNAL_WRITE_INTERVAL_MS,
  JournaledEventBus,
} from './journaled-event-bus';
import type { SqlClient, SqlResult } from './sql-client';

const SWEEP_INTERVAL_MS = 10;
/** Keeps the sweep (whose DELETE this journal holds) out of the tests that wait longer than it. */
const NO_SWEEP_MS = 3_600_000;
const LIVE = 'edge.e1.outbound.v1';
const CONSUMED = 'sip.command-received.v1';
const UNCONSUMED = 'im.message-accepted.v1';
const AWAITED = 'sip.command-received.im-router.v1';
const KEY = 'sip:bob@herald.local';

/** A statement the test finishes when it wants (a slow journal INSERT or sweep DELETE). */
interface HeldStatement {
  finish: () => void;
  fail: (error: Error) => void;
}

/**
 * The journal's SQL without a database: an empty journal, no stored offsets; journal INSERTs and
 * sweep DELETEs are held until the test finishes them. The integration test
 * (test/bus/journaled-event-bus.test.ts) runs the same bus on a real PostgreSQL.
 */
class HeldJournal implements SqlClient {
  readonly inserts: HeldStatement[] = [];
  /** The topics of each journal INSERT's rows. */
  readonly insertedTopics: string[][] = [];
  readonly deletes: HeldStatement[] = [];
  /** Group positions stored (not joins), as `topic/partition@lastId`. */
  readonly storedOffsets: string[] = [];
  private nextId = 1;

  async query(sql: string, params: ReadonlyArray<unknown>): Promise<SqlResult> {
    if (sql.startsWith('INSERT INTO bus_journal')) {
      const topics = params[0] as string[];
      this.insertedTopics.push(topics);
      const rows = topics.map(() => ({ id: String(this.nextId++) }));
      await new Promise<void>((finish, fail) => this.inserts.push({ finish, fail }));
      return { rows, rowCount: rows.length };
    }
    if (sql.startsWith('SELECT min(id)')) {
      // One record, so every sweep has a range to delete.
      return { rows: [{ first_id: '1', last_id: '1' }], rowCount: 1 };
    }
    if (sql.startsWith('WITH handled')) {
      await new Promise<void>((finish, fail) => this.deletes.push({ finish, fail }));
      return { rows: [{ deleted: 0, next_id: null }], rowCount: 1 };
    }
    if (sql.includes('DO UPDATE')) {
      const [, topics, partitions, lastIds] = params as [string[], string[], number[], string[]];
      topics.forEach((topic, index) =>
        this.storedOffsets.push(`${topic}/${partitions[index]}@${lastIds[index]}`),
      );
    }
    // knownGroups, retained, joinGroup, commit: nothing stored yet.
    return { rows: [], rowCount: 0 };
  }
}

function openBus(journal: HeldJournal, retentionSweepIntervalMs = SWEEP_INTERVAL_MS): JournaledEventBus {
  return new JournaledEventBus({
    sql: journal,
    retentionSweepIntervalMs,
    isLiveTopic: (topic) => topic === LIVE,
    isAwaitedTopic: (topic) => topic === AWAITED,
    onSweepError: (error) => {
      throw error;
    },
  });
}

const partitionOf = (key: string) => partitionForKey(key, IN_PROCESS_PARTITIONS);

const record = (topic: string, value: string) => ({ topic, key: KEY, value: Buffer.from(value) });

describe('JournaledEventBus (journal held in memory)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('never starts a retention sweep while the previous one runs, however many intervals it takes', async () => {
    const journal = new HeldJournal();
    const bus = openBus(journal);
    await bus.start();

    await jest.advanceTimersByTimeAsync(SWEEP_INTERVAL_MS * 5);
    expect(journal.deletes).toHaveLength(1);

    journal.deletes[0]!.finish();
    await jest.advanceTimersByTimeAsync(SWEEP_INTERVAL_MS);
    expect(journal.deletes).toHaveLength(2);
    journal.deletes[1]!.finish();
    await bus.close();
  });

  it('stores no record of a topic no group consumes, and holds neither it nor live records behind an INSERT in flight', async () => {
    const journal = new HeldJournal();
    const bus = openBus(journal);
    const pushed: string[] = [];
    await bus.subscribe({
      groupId: 'edge',
      topics: [LIVE],
      handler: async (consumed) => void pushed.push(consumed.value.toString()),
    });
    await bus.subscribe({ groupId: 'services', topics: [CONSUMED], handler: async () => undefined });
    const commanding = bus.publish([record(CONSUMED, 'command')]);
    await jest.advanceTimersByTimeAsync(0);
    expect(journal.inserts).toHaveLength(1);
    let published = false;

    const publishing = bus
      .publish([record(LIVE, 'push'), record(UNCONSUMED, 'accepted')])
      .then(() => (published = true));
    await jest.advanceTimersByTimeAsync(0);

    expect(pushed).toEqual(['push']);
    // The accepted record needs no INSERT of its own, so it waits for none.
    expect(published).toBe(true);
    expect(bus.retainedRecords(UNCONSUMED)).toBe(1);
    journal.inserts[0]!.finish();
    await Promise.all([commanding, publishing]);
    expect(journal.inserts).toHaveLength(1);
    expect(journal.insertedTopics).toEqual([[CONSUMED]]);
    expect(bus.retainedRecords(UNCONSUMED)).toBe(1);
    await bus.close();
  });

  it('stores no row for a record of an awaited topic, and resolves its publish once its group handled it', async () => {
    const journal = new HeldJournal();
    const bus = openBus(journal, NO_SWEEP_MS);
    const releases: Array<() => void> = [];
    await bus.subscribe({
      groupId: 'im-router',
      topics: [AWAITED],
      handler: () => new Promise<void>((resolve) => releases.push(resolve)),
    });
    let published = 0;
    const first = bus.publish([record(AWAITED, 'one')]).then(() => (published += 1));
    const second = bus.publish([record(AWAITED, 'two')]).then(() => (published += 1));
    await jest.advanceTimersByTimeAsync(JOURNAL_WRITE_INTERVAL_MS * 2);
    expect(journal.inserts).toHaveLength(0);
    expect(releases).toHaveLength(1);
    expect(published).toBe(0);

    releases[0]!();
    await first;
    await jest.advanceTimersByTimeAsync(0);
    // The second (same key: after the first) is being handled, not handled: its publish waits.
    expect(published).toBe(1);
    releases[1]!();
    await second;
    await jest.advanceTimersByTimeAsync(JOURNAL_COMMIT_INTERVAL_MS * 2);
    expect(journal.insertedTopics).toEqual([]);
    expect(journal.storedOffsets).toEqual([]);
    await bus.close();
  });

  it('awaits no record of an awaited topic no group consumes, and rejects a publish whose handling takes too long', async () => {
    const journal = new HeldJournal();
    const bus = openBus(journal, NO_SWEEP_MS);
    const unconsumed = bus.publish([record(AWAITED, 'early')]);
    await jest.advanceTimersByTimeAsync(0);
    // No group here consumes it (yet): nothing would handle it, so it is not awaited.
    expect(journal.insertedTopics).toEqual([]);
    await unconsumed;

    await bus.subscribe({
      groupId: 'stuck',
      topics: [AWAITED],
      handler: () => new Promise<void>(() => undefined),
    });
    let outcome: unknown;
    const stuck = bus
      .publish([record(AWAITED, 'never handled')])
      .catch((error: unknown) => (outcome = error));
    await jest.advanceTimersByTimeAsync(JOURNAL_AWAITED_TIMEOUT_MS - 1);
    expect(outcome).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    await stuck;
    expect(outcome).toBeInstanceOf(BusUnavailableError);
    expect(journal.inserts).toHaveLength(0);
  });

  it('hands a group subscribing later the records no group consumed, and stores no position for them', async () => {
    const journal = new HeldJournal();
    const bus = openBus(journal);
    const publishing = bus.publish([record(UNCONSUMED, 'accepted')]);
    await jest.advanceTimersByTimeAsync(0);
    await publishing;
    const handled: string[] = [];

    await bus.subscribe({
      groupId: 'late',
      topics: [UNCONSUMED],
      handler: async (consumed) => void handled.push(consumed.value.toString()),
    });
    await jest.advanceTimersByTimeAsync(0);
    await bus.close();

    expect(handled).toEqual(['accepted']);
    expect(journal.inserts).toHaveLength(0);
    expect(journal.storedOffsets).toEqual([]);
  });

  it('hands a consumed record over while its INSERT is in flight, and live ones of its publish only after it', async () => {
    const journal = new HeldJournal();
    const bus = openBus(journal);
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'services',
      topics: [LIVE, CONSUMED],
      handler: async (consumed) => void handled.push(consumed.value.toString()),
    });

    const publishing = bus.publish([record(CONSUMED, 'command'), record(LIVE, 'decision')]);
    await jest.advanceTimersByTimeAsync(0);

    expect(handled).toEqual(['command']);
    journal.inserts[0]!.finish();
    await publishing;
    expect(handled).toEqual(['command', 'decision']);
    await bus.close();
  });

  it('stores the position of a record handled while its INSERT is in flight once the INSERT returned', async () => {
    const journal = new HeldJournal();
    const bus = openBus(journal, NO_SWEEP_MS);
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'services',
      topics: [CONSUMED],
      handler: async (consumed) => void handled.push(consumed.value.toString()),
    });
    const publishing = bus.publish([record(CONSUMED, 'command')]);
    await jest.advanceTimersByTimeAsync(JOURNAL_COMMIT_INTERVAL_MS * 3);
    expect(handled).toEqual(['command']);
    expect(journal.storedOffsets).toEqual([]);

    journal.inserts[0]!.finish();
    await publishing;
    await jest.advanceTimersByTimeAsync(JOURNAL_COMMIT_INTERVAL_MS);

    expect(journal.storedOffsets).toEqual([`${CONSUMED}/${partitionOf(KEY)}@1`]);
    await bus.close();
  });

  it('rejects the publish of a record whose INSERT failed, and stores no position for it', async () => {
    const journal = new HeldJournal();
    const bus = openBus(journal, NO_SWEEP_MS);
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'services',
      topics: [CONSUMED],
      handler: async (consumed) => void handled.push(consumed.value.toString()),
    });
    const failing = bus.publish([record(CONSUMED, 'lost')]);
    const rejected = expect(failing).rejects.toBeInstanceOf(BusUnavailableError);
    await jest.advanceTimersByTimeAsync(0);
    journal.inserts[0]!.fail(new Error('connection terminated'));
    await rejected;
    const publishing = bus.publish([record(CONSUMED, 'stored')]);
    await jest.advanceTimersByTimeAsync(0);
    journal.inserts[1]!.finish();
    await publishing;
    await jest.advanceTimersByTimeAsync(JOURNAL_COMMIT_INTERVAL_MS);

    // Handed over before its INSERT failed, so handled; its publisher retries (its own rule).
    expect(handled).toEqual(['lost', 'stored']);
    // The first INSERT took id 1 in this fake; the position stored is the second record's alone.
    expect(journal.storedOffsets).toEqual([`${CONSUMED}/${partitionOf(KEY)}@2`]);
    await bus.close();
  });

  it('stores a publish after an idle moment at once, and those that keep coming at most once per write interval', async () => {
    const journal = new HeldJournal();
    const bus = openBus(journal, NO_SWEEP_MS);
    await bus.subscribe({ groupId: 'services', topics: [CONSUMED], handler: async () => undefined });
    const first = bus.publish([record(CONSUMED, 'first')]);
    await jest.advanceTimersByTimeAsync(0);
    expect(journal.inserts).toHaveLength(1);

    // Published while the first INSERT is in flight, which returns at once.
    const following = [bus.publish([record(CONSUMED, 'second')]), bus.publish([record(CONSUMED, 'third')])];
    journal.inserts[0]!.finish();
    await first;
    await jest.advanceTimersByTimeAsync(JOURNAL_WRITE_INTERVAL_MS - 1);
    expect(journal.inserts).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(journal.inserts).toHaveLength(2);
    journal.inserts[1]!.finish();
    await Promise.all(following);

    expect(journal.insertedTopics).toEqual([[CONSUMED], [CONSUMED, CONSUMED]]);
    await bus.close();
  });
});
