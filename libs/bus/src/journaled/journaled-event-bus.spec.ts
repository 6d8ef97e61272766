import { JournaledEventBus } from './journaled-event-bus';
import type { SqlClient, SqlResult } from './sql-client';

const SWEEP_INTERVAL_MS = 10;
const LIVE = 'edge.e1.outbound.v1';
const CONSUMED = 'sip.command-received.v1';
const UNCONSUMED = 'im.message-accepted.v1';
const KEY = 'sip:bob@herald.local';

/** A statement the test finishes when it wants (a slow journal INSERT or sweep DELETE). */
interface HeldStatement {
  finish: () => void;
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
  /** Group positions stored (not joins). */
  storedOffsets = 0;
  private nextId = 1;

  async query(sql: string, params: ReadonlyArray<unknown>): Promise<SqlResult> {
    if (sql.startsWith('INSERT INTO bus_journal')) {
      const topics = params[0] as string[];
      this.insertedTopics.push(topics);
      const rows = topics.map(() => ({ id: String(this.nextId++) }));
      await new Promise<void>((finish) => this.inserts.push({ finish }));
      return { rows, rowCount: rows.length };
    }
    if (sql.startsWith('SELECT min(id)')) {
      // One record, so every sweep has a range to delete.
      return { rows: [{ first_id: '1', last_id: '1' }], rowCount: 1 };
    }
    if (sql.startsWith('WITH handled')) {
      await new Promise<void>((finish) => this.deletes.push({ finish }));
      return { rows: [{ deleted: 0, next_id: null }], rowCount: 1 };
    }
    if (sql.includes('DO UPDATE')) {
      this.storedOffsets += (params[0] as string[]).length;
    }
    // knownGroups, retained, joinGroup, commit: nothing stored yet.
    return { rows: [], rowCount: 0 };
  }
}

function openBus(journal: HeldJournal): JournaledEventBus {
  return new JournaledEventBus({
    sql: journal,
    retentionSweepIntervalMs: SWEEP_INTERVAL_MS,
    isLiveTopic: (topic) => topic === LIVE,
    onSweepError: (error) => {
      throw error;
    },
  });
}

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

  it('stores no record of a topic no group consumes, and hands live records over before an INSERT in flight', async () => {
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
    // The accepted record waits its turn behind the INSERT in flight, and needs none of its own.
    expect(published).toBe(false);
    journal.inserts[0]!.finish();
    await Promise.all([commanding, publishing]);
    expect(journal.inserts).toHaveLength(1);
    expect(journal.insertedTopics).toEqual([[CONSUMED]]);
    expect(bus.retainedRecords(UNCONSUMED)).toBe(1);
    await bus.close();
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
    expect(journal.storedOffsets).toBe(0);
  });

  it('hands live records over only after the INSERT of journaled ones a group here consumes', async () => {
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

    expect(handled).toEqual([]);
    journal.inserts[0]!.finish();
    await publishing;
    expect(handled).toEqual(['command', 'decision']);
    await bus.close();
  });
});
