import {
  BusUnavailableError,
  type ConsumedRecord,
  JournaledEventBus,
  type HandlerRetryOptions,
  IN_PROCESS_PARTITIONS,
  JOURNAL_COMMIT_INTERVAL_MS,
  partitionForKey,
  type SqlClient,
} from '#herald/bus';
import { createServer, type Server, type Socket } from 'node:net';
import type { Pool } from 'pg';
import { createBusJournalPool } from '../../apps/herald/src/bus-journal-pool';
import { migratedTestDatabase } from '../support/database';
import { describeEventBusContract } from '../support/event-bus-contract';
import { uniqueGroupId, uniqueTopic } from '../support/topics';
import { waitFor } from '../support/wait-for';

const PUBLISH_TIMEOUT_MS = 1_000;
const DELIVERY_TIMEOUT_MS = 10_000;
/**
 * Published after the records a test expects, with their key: it is handled after them and after
 * any wrong (duplicate, replayed) delivery of them, so the test waits for it instead of waiting a
 * while for what must not come.
 */
const MARKER = 'marker';
/** Keeps the sweep timer out of the tests that do not test retention. */
const NO_SWEEP_MS = 3_600_000;
const OFFSET_POLL_MS = 50;
/** Nothing listens on port 1 of loopback: the connection is refused at once (a stopped PostgreSQL). */
const STOPPED_DATABASE_URL = 'postgres://postgres@127.0.0.1:1/herald';

let databaseUrl = '';
const pools: Pool[] = [];
const idleErrors: Error[] = [];

function openBus(
  options: {
    url?: string;
    handlerRetry?: HandlerRetryOptions;
    retentionAgeMs?: number;
    retentionDeleteBatchRows?: number;
    isLiveTopic?: (topic: string) => boolean;
    /** The journal's statements go through it (see holdingInserts). */
    sql?: (sql: SqlClient) => SqlClient;
  } = {},
) {
  const journal = createBusJournalPool(options.url ?? databaseUrl, (error) => idleErrors.push(error));
  pools.push(journal.pool);
  return new JournaledEventBus({
    sql: options.sql === undefined ? journal.sql : options.sql(journal.sql),
    handlerRetry: options.handlerRetry,
    publishTimeoutMs: PUBLISH_TIMEOUT_MS,
    retentionAgeMs: options.retentionAgeMs,
    retentionDeleteBatchRows: options.retentionDeleteBatchRows,
    retentionSweepIntervalMs: NO_SWEEP_MS,
    ...(options.isLiveTopic === undefined ? {} : { isLiveTopic: options.isLiveTopic }),
  });
}

async function journalQuery(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const journal = createBusJournalPool(databaseUrl, (error) => idleErrors.push(error));
  pools.push(journal.pool);
  return [...(await journal.sql.query(sql, params)).rows];
}

const text = (record: ConsumedRecord): string => record.value.toString('utf8');

/**
 * Sends the journal's INSERTs to PostgreSQL only when the test releases them (the others at
 * once): an INSERT in flight for as long as the test wants, or for ever (the process dies first).
 */
function holdingInserts(): { wrap: (sql: SqlClient) => SqlClient; release: () => void; held: () => number } {
  const held: Array<() => void> = [];
  return {
    wrap: (sql) => ({
      query: async (statement, params) => {
        if (statement.startsWith('INSERT INTO bus_journal')) await new Promise<void>((go) => held.push(go));
        return sql.query(statement, params);
      },
    }),
    release: () => held.splice(0).forEach((go) => go()),
    held: () => held.length,
  };
}

/** The position `groupId` stored on `topic`'s partition for `key`. */
async function storedPosition(groupId: string, topic: string, key: string): Promise<bigint> {
  const rows = await journalQuery(
    'SELECT last_id FROM bus_group_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3',
    [groupId, topic, partitionForKey(key, IN_PROCESS_PARTITIONS)],
  );
  return BigInt(String(rows[0]!['last_id']));
}

/** Publishes a marker on each of `topics` under `key`, and waits until each group's `handled()` holds them all. */
async function markersHandled(
  bus: JournaledEventBus,
  topics: readonly string[],
  key: string,
  ...groups: Array<() => readonly string[]>
): Promise<void> {
  await bus.publish(topics.map((topic) => ({ topic, key, value: Buffer.from(MARKER) })));
  await waitFor(
    () => groups.every((handled) => handled().filter((value) => value === MARKER).length >= topics.length),
    DELIVERY_TIMEOUT_MS,
    'the markers',
  );
}

async function journalRows(topic: string): Promise<number> {
  const rows = await journalQuery('SELECT count(*)::int AS n FROM bus_journal WHERE topic = $1', [topic]);
  return Number(rows[0]!['n']);
}

/** Resolves once `check()` holds (it reads the journal); offsets are stored after the handler. */
async function waitForJournal(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, OFFSET_POLL_MS));
  }
}

/** How many groups on `topic` stored an offset at or past its last record on every partition. */
async function groupsCaughtUp(topic: string): Promise<number> {
  const rows = await journalQuery(
    `SELECT count(*)::int AS n FROM (
       SELECT o.group_id FROM bus_group_offsets o WHERE o.topic = $1 GROUP BY o.group_id
       HAVING bool_and(NOT EXISTS (
         SELECT 1 FROM bus_journal j WHERE j.topic = o.topic AND j.partition = o.partition AND j.id > o.last_id))
     ) AS caught_up`,
    [topic],
  );
  return Number(rows[0]!['n']);
}

beforeAll(async () => {
  databaseUrl = await migratedTestDatabase();
});

afterAll(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
});

describeEventBusContract('JournaledEventBus', {
  createBus: ({ handlerRetry }) => openBus({ handlerRetry }),
  createUnavailableBus: async () => openBus({ url: STOPPED_DATABASE_URL }),
  deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
});

describe('JournaledEventBus durability (real PostgreSQL)', () => {
  it('writes every record of a publish a group consumes to the journal before the publish resolves', async () => {
    const bus = openBus();
    const topic = uniqueTopic('journal-rows');
    // No sweep runs (NO_SWEEP_MS): the rows stay after the group handled them.
    await bus.subscribe({
      groupId: uniqueGroupId('journal-rows'),
      topics: [topic],
      handler: async () => undefined,
    });

    await bus.publish([
      { topic, key: 'sip:alice@herald.local', value: Buffer.from('one'), headers: { h: 'v' } },
      { topic, key: 'sip:bob@herald.local', value: Buffer.from('two') },
    ]);

    const rows = await journalQuery(
      'SELECT key, value, headers FROM bus_journal WHERE topic = $1 ORDER BY id',
      [topic],
    );
    expect(rows.map((row) => [row['key'], (row['value'] as Buffer).toString('utf8')])).toEqual([
      ['sip:alice@herald.local', 'one'],
      ['sip:bob@herald.local', 'two'],
    ]);
    expect(rows[0]!['headers']).toMatchObject({ h: 'v' });
    await bus.close();
  });

  it('after a crash, handles exactly the records a group had not handled, in order, before new ones', async () => {
    const topic = uniqueTopic('crash');
    const holdingGroup = uniqueGroupId('crash-holding');
    const doneGroup = uniqueGroupId('crash-done');
    const crashed = openBus();
    const handledBeforeCrash: string[] = [];
    const doneBeforeCrash: string[] = [];
    await crashed.subscribe({
      groupId: holdingGroup,
      topics: [topic],
      handler: async (record) => {
        if (text(record) === 'held') {
          // The process dies while this handler runs: it never finishes.
          await new Promise<never>(() => undefined);
        }
        handledBeforeCrash.push(text(record));
      },
    });
    await crashed.subscribe({
      groupId: doneGroup,
      topics: [topic],
      handler: async (record) => {
        doneBeforeCrash.push(text(record));
      },
    });
    const key = 'sip:alice@herald.local';
    await crashed.publish(
      ['first', 'held', 'after'].map((value) => ({ topic, key, value: Buffer.from(value) })),
    );
    await waitFor(
      () => handledBeforeCrash.length === 1 && doneBeforeCrash.length === 3,
      DELIVERY_TIMEOUT_MS,
      'first handled by one group, all three by the other',
    );
    // A group's position is stored after its handler resolved (group-committed with others'): the
    // crash comes once both groups' are stored, so "handled" means durably handled.
    await waitForJournal(async () => (await groupsCaughtUp(topic)) === 1, "the done group's stored position");
    await waitForJournal(
      async () =>
        (
          await journalQuery(
            `SELECT 1 FROM bus_group_offsets o
             WHERE o.group_id = $1 AND o.last_id >= (SELECT min(id) FROM bus_journal WHERE topic = $2)`,
            [holdingGroup, topic],
          )
        ).length > 0,
      "the holding group's stored position past 'first'",
    );

    // "Crash": the instance is dropped without close; a new one starts on the same database.
    const restarted = openBus();
    const handledAfterRestart: string[] = [];
    const doneAfterRestart: string[] = [];
    await restarted.subscribe({
      groupId: holdingGroup,
      topics: [topic],
      handler: async (record) => {
        handledAfterRestart.push(text(record));
      },
    });
    await restarted.subscribe({
      groupId: doneGroup,
      topics: [topic],
      handler: async (record) => {
        doneAfterRestart.push(text(record));
      },
    });
    await restarted.publish([{ topic, key, value: Buffer.from('new') }]);

    await waitFor(
      () => handledAfterRestart.length >= 3,
      DELIVERY_TIMEOUT_MS,
      'the unhandled records and the new one',
    );
    await markersHandled(
      restarted,
      [topic],
      key,
      () => handledAfterRestart,
      () => doneAfterRestart,
    );
    expect(handledBeforeCrash).toEqual(['first']);
    expect(handledAfterRestart).toEqual(['held', 'after', 'new', MARKER]);
    expect(doneBeforeCrash).toEqual(['first', 'held', 'after']);
    expect(doneAfterRestart).toEqual(['new', MARKER]);
    await restarted.close();
  });

  it('after a crash, hands a run handler only the records its group had not handled', async () => {
    const topic = uniqueTopic('crash-runs');
    const groupId = uniqueGroupId('crash-runs');
    const key = 'sip:alice@herald.local';
    const crashed = openBus();
    const runsBeforeCrash: string[][] = [];
    await crashed.subscribe({
      groupId,
      topics: [topic],
      handler: () => Promise.reject(new Error('only runs are expected')),
      handleRun: async (run) => {
        runsBeforeCrash.push(run.map(text));
        if (run.some((record) => text(record) === 'held')) {
          // The process dies while this run is handled: it never finishes.
          await new Promise<never>(() => undefined);
        }
      },
    });
    await crashed.publish(['first', 'second'].map((value) => ({ topic, key, value: Buffer.from(value) })));
    await waitForJournal(async () => (await groupsCaughtUp(topic)) === 1, 'the first run stored as handled');
    await crashed.publish(['held', 'after'].map((value) => ({ topic, key, value: Buffer.from(value) })));
    await waitFor(() => runsBeforeCrash.length === 2, DELIVERY_TIMEOUT_MS, 'the held run started');

    const restarted = openBus();
    const runsAfterRestart: string[][] = [];
    await restarted.subscribe({
      groupId,
      topics: [topic],
      handler: () => Promise.reject(new Error('only runs are expected')),
      handleRun: async (run) => {
        runsAfterRestart.push(run.map(text));
      },
    });

    await waitFor(() => runsAfterRestart.flat().length >= 2, DELIVERY_TIMEOUT_MS, 'the unhandled records');
    await markersHandled(restarted, [topic], key, () => runsAfterRestart.flat());
    expect(runsBeforeCrash).toEqual([
      ['first', 'second'],
      ['held', 'after'],
    ]);
    expect(runsAfterRestart).toEqual([['held', 'after'], [MARKER]]);
    await restarted.close();
  });

  it('hands a record over while its INSERT is in flight, and stores its position only once the INSERT committed', async () => {
    const topic = uniqueTopic('in-flight');
    const groupId = uniqueGroupId('in-flight');
    const key = 'sip:alice@herald.local';
    const inserts = holdingInserts();
    const crashed = openBus({ sql: inserts.wrap });
    const handledBeforeCrash: string[] = [];
    await crashed.subscribe({
      groupId,
      topics: [topic],
      handler: async (record) => void handledBeforeCrash.push(text(record)),
    });
    let acknowledged = false;
    const publishing = crashed.publish([{ topic, key, value: Buffer.from('command') }]).then(() => {
      acknowledged = true;
    });
    await waitFor(() => handledBeforeCrash.length === 1, DELIVERY_TIMEOUT_MS, 'the record handled');
    // Several commit intervals: the handled record has no id yet, so its group stores nothing.
    await new Promise((resolve) => setTimeout(resolve, JOURNAL_COMMIT_INTERVAL_MS * 3));
    expect(inserts.held()).toBe(1);
    expect(acknowledged).toBe(false);
    expect(await storedPosition(groupId, topic, key)).toBe(0n);

    inserts.release();
    await publishing;
    await waitForJournal(async () => (await groupsCaughtUp(topic)) === 1, "the group's stored position");

    // "Crash" once the position is stored: the record is not handled again.
    const restarted = openBus();
    const handledAfterRestart: string[] = [];
    await restarted.subscribe({
      groupId,
      topics: [topic],
      handler: async (record) => void handledAfterRestart.push(text(record)),
    });
    await markersHandled(restarted, [topic], key, () => handledAfterRestart);
    expect(handledBeforeCrash).toEqual(['command']);
    expect(handledAfterRestart).toEqual([MARKER]);
    await restarted.close();
  });

  it("after a crash while a handled record's INSERT was in flight, has neither acknowledged nor stored nor replayed it", async () => {
    const topic = uniqueTopic('lost-in-flight');
    const groupId = uniqueGroupId('lost-in-flight');
    const key = 'sip:alice@herald.local';
    const inserts = holdingInserts();
    const crashed = openBus({ sql: inserts.wrap });
    const handledBeforeCrash: string[] = [];
    await crashed.subscribe({
      groupId,
      topics: [topic],
      handler: async (record) => void handledBeforeCrash.push(text(record)),
    });
    let acknowledged = false;
    // It rejects after the publish timeout (the edge answers 503), unless the test is over first.
    void crashed.publish([{ topic, key, value: Buffer.from('unacknowledged') }]).then(
      () => (acknowledged = true),
      () => undefined,
    );
    await waitFor(() => handledBeforeCrash.length === 1, DELIVERY_TIMEOUT_MS, 'the record handled');

    // "Crash": the INSERT never reaches PostgreSQL; its publisher was never answered, so it
    // publishes again under the same ids (a client's command is handled once: im-router's claim).
    const restarted = openBus();
    const handledAfterRestart: string[] = [];
    await restarted.subscribe({
      groupId,
      topics: [topic],
      handler: async (record) => void handledAfterRestart.push(text(record)),
    });
    await markersHandled(restarted, [topic], key, () => handledAfterRestart);
    expect(acknowledged).toBe(false);
    expect(handledBeforeCrash).toEqual(['unacknowledged']);
    expect(handledAfterRestart).toEqual([MARKER]);
    expect(await journalRows(topic)).toBe(1);
    await restarted.close();
  });

  it('starts a new group subscribing from the end after a restart where it subscribed, not before', async () => {
    const topic = uniqueTopic('from-end');
    const groupId = uniqueGroupId('from-end');
    const key = 'sip:bob@herald.local';
    const first = openBus();
    await first.publish([{ topic, key, value: Buffer.from('before-subscribe') }]);
    await first.subscribe({
      groupId,
      topics: [topic],
      fromBeginning: false,
      handler: () => new Promise(() => undefined),
    });
    await first.publish([{ topic, key, value: Buffer.from('after-subscribe') }]);

    const restarted = openBus();
    const handled: string[] = [];
    await restarted.subscribe({
      groupId,
      topics: [topic],
      fromBeginning: false,
      handler: async (record) => {
        handled.push(text(record));
      },
    });

    await waitFor(
      () => handled.length >= 1,
      DELIVERY_TIMEOUT_MS,
      'the record published after the subscription',
    );
    await markersHandled(restarted, [topic], key, () => handled);
    expect(handled).toEqual(['after-subscribe', MARKER]);
    await restarted.close();
  });

  it('stores the offsets handled within a commit interval in one statement, and all of them at close', async () => {
    const topic = uniqueTopic('offset-interval');
    const groupId = uniqueGroupId('offset-interval');
    const journal = createBusJournalPool(databaseUrl, (error) => idleErrors.push(error));
    pools.push(journal.pool);
    let offsetStatements = 0;
    const bus = new JournaledEventBus({
      sql: {
        query: (sql, params) => {
          if (sql.includes('INTO bus_group_offsets') && sql.includes('DO UPDATE')) offsetStatements += 1;
          return journal.sql.query(sql, params);
        },
      },
      retentionSweepIntervalMs: NO_SWEEP_MS,
      // Longer than the test: only the first offset (stored at once) and close store any.
      commitIntervalMs: NO_SWEEP_MS,
    });
    const handled: string[] = [];
    await bus.subscribe({
      groupId,
      topics: [topic],
      handler: async (record) => {
        handled.push(text(record));
      },
    });
    const values = Array.from({ length: 40 }, (_, index) => `r${index}`);
    for (const value of values) {
      await bus.publish([{ topic, key: `sip:user${value}@herald.local`, value: Buffer.from(value) }]);
    }
    await waitFor(() => handled.length === values.length, DELIVERY_TIMEOUT_MS, 'every record handled');
    expect(offsetStatements).toBe(1);

    await bus.close();
    expect(offsetStatements).toBe(2);
    expect(await groupsCaughtUp(topic)).toBe(1);
  });

  it('deletes old records every consuming group handled, and keeps the ones a group has not', async () => {
    const topic = uniqueTopic('retention');
    const handledGroup = uniqueGroupId('retention-handled');
    const stuckGroup = uniqueGroupId('retention-stuck');
    const bus = openBus({ retentionAgeMs: 0 });
    const handled: string[] = [];
    await bus.subscribe({
      groupId: handledGroup,
      topics: [topic],
      handler: async (record) => {
        handled.push(text(record));
      },
    });
    await bus.subscribe({
      groupId: stuckGroup,
      topics: [topic],
      handler: async (record) => {
        if (record.key === 'sip:stuck@herald.local') await new Promise<never>(() => undefined);
      },
    });
    await bus.publish([
      { topic, key: 'sip:free@herald.local', value: Buffer.from('free') },
      { topic, key: 'sip:stuck@herald.local', value: Buffer.from('stuck') },
    ]);
    await waitFor(() => handled.length === 2, DELIVERY_TIMEOUT_MS, 'both records handled by one group');
    const committedByBoth = async (): Promise<boolean> => {
      const rows = await journalQuery(
        `SELECT count(*)::int AS n FROM bus_group_offsets o JOIN bus_journal j
           ON j.topic = o.topic AND j.partition = o.partition AND o.last_id >= j.id
         WHERE j.topic = $1 AND j.key = 'sip:free@herald.local'`,
        [topic],
      );
      return rows[0]!['n'] === 2;
    };
    await waitForJournal(committedByBoth, 'both groups to store their offset past the free record');

    await bus.deleteConsumedRecords();

    const left = await journalQuery('SELECT value FROM bus_journal WHERE topic = $1', [topic]);
    expect(left.map((row) => (row['value'] as Buffer).toString('utf8'))).toEqual(['stuck']);
  });

  it('deletes what a group handled past a record it holds, over several id ranges', async () => {
    const topic = uniqueTopic('retention-ranges');
    const stuckKey = 'sip:stuck@herald.local';
    const stuckPartition = partitionForKey(stuckKey, IN_PROCESS_PARTITIONS);
    // Keys on other partitions: the held record blocks only its own.
    const freeKeys = Array.from({ length: 40 }, (_, index) => `sip:free${index}@herald.local`)
      .filter((key) => partitionForKey(key, IN_PROCESS_PARTITIONS) !== stuckPartition)
      .slice(0, 12);
    const bus = openBus({ retentionDeleteBatchRows: 3 });
    const handled: string[] = [];
    await bus.subscribe({
      groupId: uniqueGroupId('retention-ranges'),
      topics: [topic],
      handler: async (record) => {
        if (record.key === stuckKey) await new Promise<never>(() => undefined);
        handled.push(text(record));
      },
    });
    await bus.publish([{ topic, key: stuckKey, value: Buffer.from('stuck') }]);
    for (const key of freeKeys) await bus.publish([{ topic, key, value: Buffer.from('free') }]);
    await waitFor(() => handled.length === freeKeys.length, DELIVERY_TIMEOUT_MS, 'the free records handled');
    const freeCommitted = async (): Promise<boolean> => {
      const rows = await journalQuery(
        `SELECT count(*)::int AS n FROM bus_group_offsets o JOIN bus_journal j
           ON j.topic = o.topic AND j.partition = o.partition AND o.last_id >= j.id
         WHERE j.topic = $1 AND j.key <> $2`,
        [topic, stuckKey],
      );
      return rows[0]!['n'] === freeKeys.length;
    };
    await waitForJournal(freeCommitted, 'the offsets past every free record');

    await bus.deleteConsumedRecords();

    const left = await journalQuery('SELECT value FROM bus_journal WHERE topic = $1', [topic]);
    expect(left.map((row) => (row['value'] as Buffer).toString('utf8'))).toEqual(['stuck']);
  });

  it('leaves neither memory nor journal rows behind once many records are handled by every group', async () => {
    const topic = uniqueTopic('bounded');
    const batchRows = 500;
    const bus = openBus({ retentionDeleteBatchRows: batchRows });
    const handled = new Map<string, number>();
    for (const groupId of [uniqueGroupId('bounded-a'), uniqueGroupId('bounded-b')]) {
      handled.set(groupId, 0);
      await bus.subscribe({
        groupId,
        topics: [topic],
        handler: async () => void handled.set(groupId, handled.get(groupId)! + 1),
      });
    }
    const rounds = 20;
    for (let round = 0; round < rounds; round += 1) {
      await bus.publish(
        Array.from({ length: batchRows }, (_, index) => ({
          topic,
          key: `sip:user${index}@herald.local`,
          value: Buffer.from(`${round}/${index}`),
        })),
      );
    }
    const published = rounds * batchRows;
    await waitFor(
      () => [...handled.values()].every((count) => count === published),
      DELIVERY_TIMEOUT_MS,
      'every record handled by both groups',
    );
    await waitFor(() => bus.retainedRecords(topic) === 0, DELIVERY_TIMEOUT_MS, 'no record left in memory');
    await waitForJournal(async () => (await groupsCaughtUp(topic)) === 2, 'the offsets of both groups');
    expect(await journalRows(topic)).toBe(published);

    // Several batches of one sweep: all of them, whatever else the journal holds.
    expect(await bus.deleteConsumedRecords()).toBeGreaterThanOrEqual(published);

    expect(await journalRows(topic)).toBe(0);
    await bus.close();
  });

  it('stores no record of a topic no group consumes, and hands it to a group subscribing later in memory', async () => {
    const topic = uniqueTopic('unconsumed');
    const bus = openBus();
    await bus.publish([{ topic, key: 'sip:alice@herald.local', value: Buffer.from('nobody reads yet') }]);
    expect(await journalRows(topic)).toBe(0);

    const handled: string[] = [];
    await bus.subscribe({
      groupId: uniqueGroupId('unconsumed-late'),
      topics: [topic],
      handler: async (record) => void handled.push(text(record)),
    });
    await markersHandled(bus, [topic], 'sip:alice@herald.local', () => handled);

    expect(handled).toEqual(['nobody reads yet', MARKER]);
    // The marker came once a group consumed the topic: it is stored.
    expect(await journalRows(topic)).toBe(1);
    await bus.close();
  });

  it('keeps the rows of a topic no group consumes (an older release stored them) for the retention age', async () => {
    const topic = uniqueTopic('unconsumed-stored');
    const key = 'sip:alice@herald.local';
    await journalQuery(
      `INSERT INTO bus_journal (topic, partition, key, value, headers) VALUES ($1, $2, $3, 'x'::bytea, '{}')`,
      [topic, partitionForKey(key, IN_PROCESS_PARTITIONS), key],
    );
    const keeping = openBus();
    await keeping.deleteConsumedRecords();
    expect(await journalRows(topic)).toBe(1);
    await keeping.close();

    const expiring = openBus({ retentionAgeMs: 0 });
    await expiring.deleteConsumedRecords();
    expect(await journalRows(topic)).toBe(0);
    await expiring.close();
  });
});

describe('JournaledEventBus live topics (real PostgreSQL)', () => {
  it('delivers a live topic in memory only: no journal row, no stored position, nothing replayed after a crash', async () => {
    const live = uniqueTopic('live');
    const journaled = uniqueTopic('journaled');
    const groupId = uniqueGroupId('live');
    const isLiveTopic = (topic: string) => topic === live;
    const crashed = openBus({ isLiveTopic });
    const before: string[] = [];
    await crashed.subscribe({
      groupId,
      topics: [live, journaled],
      handler: async (record) => {
        // Never finishes: the process dies with both records unhandled.
        before.push(text(record));
        await new Promise<never>(() => undefined);
      },
    });
    const key = 'sip:alice@herald.local';
    await crashed.publish([
      { topic: journaled, key, value: Buffer.from('accepted') },
      { topic: live, key, value: Buffer.from('decision') },
    ]);
    await waitFor(() => before.length === 2, DELIVERY_TIMEOUT_MS, 'both records handed over');
    expect(await journalRows(journaled)).toBe(1);
    expect(await journalRows(live)).toBe(0);
    expect(
      await journalQuery('SELECT count(*)::int AS n FROM bus_group_offsets WHERE topic = $1', [live]),
    ).toEqual([{ n: 0 }]);

    const restarted = openBus({ isLiveTopic });
    const after: string[] = [];
    await restarted.subscribe({
      groupId,
      topics: [live, journaled],
      handler: async (record) => {
        after.push(text(record));
      },
    });
    await restarted.publish([{ topic: live, key, value: Buffer.from('new decision') }]);
    await waitFor(
      () => after.length >= 2,
      DELIVERY_TIMEOUT_MS,
      'the journaled record replayed and the new live one',
    );
    await markersHandled(restarted, [journaled, live], key, () => after);
    expect(after.sort()).toEqual(['accepted', MARKER, MARKER, 'new decision']);
    await restarted.close();
  });

  it('forgets positions on a topic that became live, and does not replay its old records', async () => {
    const topic = uniqueTopic('became-live');
    const groupId = uniqueGroupId('became-live');
    const older = openBus();
    const handled: string[] = [];
    await older.subscribe({
      groupId,
      topics: [topic],
      handler: async (record) => {
        handled.push(text(record));
        await new Promise<never>(() => undefined);
      },
    });
    await older.publish([{ topic, key: 'k', value: Buffer.from('journaled by an older release') }]);
    await waitFor(() => handled.length === 1, DELIVERY_TIMEOUT_MS, 'the record handed over');

    const upgraded = openBus({ isLiveTopic: (candidate) => candidate === topic });
    const replayed: string[] = [];
    await upgraded.subscribe({
      groupId,
      topics: [topic],
      handler: async (record) => {
        replayed.push(text(record));
      },
    });
    await markersHandled(upgraded, [topic], 'k', () => replayed);
    expect(replayed).toEqual([MARKER]);
    expect(
      await journalQuery('SELECT count(*)::int AS n FROM bus_group_offsets WHERE topic = $1', [topic]),
    ).toEqual([{ n: 0 }]);
    await upgraded.close();
  });
});

describe('JournaledEventBus with PostgreSQL not answering', () => {
  let blackHole: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Accepts connections and never answers: what a paused (SIGSTOP) PostgreSQL looks like.
    blackHole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve, reject) =>
      blackHole.close((error) => (error ? reject(error) : resolve())),
    );
  });

  it('hands over no live record of a publish whose journaled records were not stored', async () => {
    const address = blackHole.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    const live = uniqueTopic('live-paused');
    const bus = openBus({
      url: `postgres://postgres@127.0.0.1:${address.port}/herald`,
      isLiveTopic: (t) => t === live,
    });
    const publishing = bus.publish([
      { topic: uniqueTopic('journaled-paused'), key: 'k', value: Buffer.from('accepted') },
      { topic: live, key: 'k', value: Buffer.from('decision') },
    ]);
    await expect(publishing).rejects.toBeInstanceOf(BusUnavailableError);
  });

  it('rejects a publish PostgreSQL never acknowledges with BusUnavailableError', async () => {
    const address = blackHole.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    const bus = openBus({ url: `postgres://postgres@127.0.0.1:${address.port}/herald` });
    const publishing = bus.publish([{ topic: uniqueTopic('paused'), key: 'k', value: Buffer.from('x') }]);

    await expect(publishing).rejects.toBeInstanceOf(BusUnavailableError);
    await expect(publishing).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
  });
});
