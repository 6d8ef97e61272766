import { processOnce, Transaction } from '#herald/domain';
import {
  ALL_MIGRATIONS,
  createDataSource,
  entityManagerOf,
  runMigrations,
  SqlIdempotencyStore,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { waitForLockWaiters } from '../support/database';

const DATABASE_URL = process.env['DATABASE_URL'];
if (!DATABASE_URL) {
  throw new Error('DATABASE_URL must point at the test PostgreSQL (see test/support)');
}

/** A database of its own, so this file never collides with other suites' tables. */
async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const databaseName = `herald_persistence_${randomUUID().replace(/-/g, '')}`;
const databaseUrl = (() => {
  const url = new URL(DATABASE_URL);
  url.pathname = `/${databaseName}`;
  return url.toString();
})();

describe('persistence base (real PostgreSQL)', () => {
  let dataSource: DataSource;
  const store = new SqlIdempotencyStore();
  const key = (commandId: string) => ({ service: 'presence', aor: 'sip:alice@herald.example', commandId });

  beforeAll(async () => {
    await withAdminClient((client) => client.query(`CREATE DATABASE ${databaseName}`));
    dataSource = createDataSource({ url: databaseUrl });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
  });

  it('applies pending migrations once, even from replicas starting together', async () => {
    const replica = createDataSource({ url: databaseUrl });
    await replica.initialize();
    try {
      const [fromThis, fromReplica] = await Promise.all([runMigrations(dataSource), runMigrations(replica)]);
      // Each registered migration exactly once, in the order of the timestamp in its name: its last
      // 13 digits, as TypeORM reads it (`AuthReadContractV11796600000000` is V1 at 1796600000000).
      expect([...fromThis, ...fromReplica]).toEqual(
        ALL_MIGRATIONS.map((migration) => migration.name).sort(
          (a, b) => Number(/\d{13}$/.exec(a)?.[0]) - Number(/\d{13}$/.exec(b)?.[0]),
        ),
      );
      expect(await runMigrations(dataSource)).toEqual([]);
    } finally {
      await replica.destroy();
    }
    const columns: Array<{ column_name: string }> = await dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'processed_commands' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual([
      'service',
      'aor',
      'command_id',
      'result',
      'created_at',
    ]);
  });

  it('claims a command the first time and returns the stored result to a duplicate', async () => {
    const unitOfWork = new TypeOrmUnitOfWork(dataSource);
    const result = { type: 'presence.set.result', re: 'c-1', ok: true };
    await unitOfWork.run(async (tx) => {
      expect(await store.claim(tx, key('c-1'))).toEqual({ kind: 'first' });
      await store.storeResult(tx, key('c-1'), result);
    });
    const again = await unitOfWork.run((tx) => store.claim(tx, key('c-1')));
    expect(again).toEqual({ kind: 'duplicate', result });
    const otherService = await unitOfWork.run((tx) => store.claim(tx, { ...key('c-1'), service: 'auth' }));
    expect(otherService).toEqual({ kind: 'first' });
  });

  it('stores the expected result with the claim', async () => {
    const unitOfWork = new TypeOrmUnitOfWork(dataSource);
    const expected = { type: 'presence.set.result', re: 'c-5', ok: true };
    await unitOfWork.run((tx) => store.claim(tx, key('c-5'), expected));
    expect(await unitOfWork.run((tx) => store.claim(tx, key('c-5')))).toEqual({
      kind: 'duplicate',
      result: expected,
    });
  });

  it('replaces a result unflushed: asynchronous commit for that statement’s transaction only', async () => {
    const unitOfWork = new TypeOrmUnitOfWork(dataSource);
    await unitOfWork.run((tx) => store.claim(tx, key('c-6'), { events: ['e'] }));
    const setting = await unitOfWork.run(async (tx) => {
      const manager = entityManagerOf(tx);
      await manager.query(`SET LOCAL synchronous_commit = on`);
      await store.storeResultUnflushed(tx, key('c-6'), { events: [] });
      const rows: Array<{ synchronous_commit: string }> = await manager.query(`SHOW synchronous_commit`);
      return rows[0].synchronous_commit;
    });
    expect(setting).toBe('off');
    // On its own (autocommit), as runOnceThenPublish uses it.
    await unitOfWork.runSingleStatement((tx) =>
      store.storeResultUnflushed(tx, key('c-6'), { events: ['f'] }),
    );
    expect(await unitOfWork.run((tx) => store.claim(tx, key('c-6')))).toEqual({
      kind: 'duplicate',
      result: { events: ['f'] },
    });
  });

  it('forgets a claim whose transaction rolled back', async () => {
    const unitOfWork = new TypeOrmUnitOfWork(dataSource);
    const failure = new Error('effect failed');
    await expect(
      unitOfWork.run(async (tx) => {
        await store.claim(tx, key('c-2'));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await unitOfWork.run((tx) => store.claim(tx, key('c-2')))).toEqual({ kind: 'first' });
  });

  it('makes a concurrent duplicate wait for the first claim and see its result', async () => {
    const unitOfWork = new TypeOrmUnitOfWork(dataSource);
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstClaimed!: () => void;
    const firstHasClaimed = new Promise<void>((resolve) => (firstClaimed = resolve));

    const first = unitOfWork.run(async (tx) => {
      const claim = await store.claim(tx, key('c-3'));
      firstClaimed();
      await firstMayCommit;
      await store.storeResult(tx, key('c-3'), { ok: true });
      return claim;
    });
    await firstHasClaimed;
    const second = unitOfWork.run((tx) => store.claim(tx, key('c-3')));
    // The second claim waits for the row lock before the first commits.
    await waitForLockWaiters(dataSource);
    releaseFirst();

    expect(await first).toEqual({ kind: 'first' });
    expect(await second).toEqual({ kind: 'duplicate', result: { ok: true } });
  });

  it('claims a run of commands together: first ones, and duplicates (also concurrent) with their stored results', async () => {
    const unitOfWork = new TypeOrmUnitOfWork(dataSource);
    const stored = { type: 'im.send.result', re: 'c-10', ok: true };
    await unitOfWork.run((tx) => store.claim(tx, key('c-10'), stored));
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstClaimed!: () => void;
    const firstHasClaimed = new Promise<void>((resolve) => (firstClaimed = resolve));
    const concurrent = unitOfWork.run(async (tx) => {
      await store.claim(tx, key('c-12'), { ok: 'concurrent' });
      firstClaimed();
      await firstMayCommit;
    });
    await firstHasClaimed;

    const run = unitOfWork.run((tx) =>
      store.claimAll(tx, [
        { key: key('c-11'), expectedResult: { ok: 11 } },
        { key: key('c-10') },
        { key: key('c-12') },
        { key: key('c-13') },
      ]),
    );
    // The run's claim waits for the row lock of c-12 before the concurrent one commits.
    await waitForLockWaiters(dataSource);
    releaseFirst();
    await concurrent;

    expect(await run).toEqual([
      { kind: 'first' },
      { kind: 'duplicate', result: stored },
      { kind: 'duplicate', result: { ok: 'concurrent' } },
      { kind: 'first' },
    ]);
    expect(await unitOfWork.run((tx) => store.claim(tx, key('c-11')))).toEqual({
      kind: 'duplicate',
      result: { ok: 11 },
    });
  });

  it('runs an idempotent command once with processOnce, effect and record in one transaction', async () => {
    const unitOfWork = new TypeOrmUnitOfWork(dataSource);
    await dataSource.query(`CREATE TABLE effects (command_id text NOT NULL)`);
    const effect = async (tx: Transaction) => {
      await entityManagerOf(tx).query(`INSERT INTO effects (command_id) VALUES ('c-4')`);
      return { type: 'roster.add.result', re: 'c-4', ok: true };
    };

    const first = await processOnce(unitOfWork, store, key('c-4'), effect);
    const duplicate = await processOnce(unitOfWork, store, key('c-4'), effect);

    expect(first).toEqual({ duplicate: false, result: { type: 'roster.add.result', re: 'c-4', ok: true } });
    expect(duplicate).toEqual({
      duplicate: true,
      storedResult: { type: 'roster.add.result', re: 'c-4', ok: true },
    });
    expect(await dataSource.query(`SELECT command_id FROM effects`)).toEqual([{ command_id: 'c-4' }]);
  });

  it('refuses a transaction it did not open', () => {
    class ForeignTransaction extends Transaction {}
    expect(() => entityManagerOf(new ForeignTransaction())).toThrow(
      expect.objectContaining({ code: 'PERSISTENCE_FOREIGN_TRANSACTION' }),
    );
  });
});
