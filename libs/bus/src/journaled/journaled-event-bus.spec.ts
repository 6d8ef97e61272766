import type { ConsumedRecord } from '../event-bus';
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
  readonly deletes: HeldStatement[] = [];
  private nextId = 1;

  async query(sql: string, params: ReadonlyArray<unknown>): Promise<SqlResult> {
    if (sql.startsWith('INSERT INTO bus_journal')) {
      const rows = (params[0] as string[]).map(() => ({ id: String(this.nextId++) }));
      await new Promise<void>((finish) => this.inserts.push({ finish }));
      return { rows, rowCount: rows.length };
    }
    if (sql.startsWith('WITH handled')) {
      await new Promise<void>((finish) => this.deletes.push({ finish }));
      return { rows: [], rowCount: 0 };
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

  it('hands live records over before the INSERT of journaled ones no group here consumes, and resolves after it', async () => {
    const journal = new HeldJournal();
    const bus = openBus(journal);
    const pushed: ConsumedRecord[] = [];
    await bus.subscribe({
      groupId: 'edge',
      topics: [LIVE],
      handler: async (consumed) => void pushed.push(consumed),
    });
    let published = false;

    const publishing = bus
      .publish([record(LIVE, 'push'), record(UNCONSUMED, 'accepted')])
      .then(() => (published = true));
    await jest.advanceTimersByTimeAsync(0);

    expect(pushed.map((consumed) => consumed.value.toString())).toEqual(['push']);
    expect(journal.inserts).toHaveLength(1);
    expect(published).toBe(false);
    journal.inserts[0]!.finish();
    await publishing;
    await bus.close();
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
