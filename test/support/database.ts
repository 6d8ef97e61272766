import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { createDataSource, type DataSourceConfig, runMigrations } from '#herald/persistence';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { requireDatabaseUrl } from './env';

/**
 * A fresh database per test file, so suites never share tables. Importing this module registers
 * an `afterAll` that drops every database the file created (forcibly, so a leaked pool cannot keep
 * it alive).
 */

const createdDatabases: string[] = [];

/** Creates an empty database on the test PostgreSQL and returns its URL. Call it in a hook or test. */
export async function createTestDatabase(label: string = testFileLabel()): Promise<string> {
  const adminUrl = requireDatabaseUrl();
  const name = `herald_${label}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  // The name is built from [a-z0-9_] only, so quoting it is enough.
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  createdDatabases.push(name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** runMigrations holds one connection for its advisory lock and migrates on another. */
const MIGRATION_POOL_SIZE = 2;

/**
 * An initialized data source on a database with every migration run: a fresh one
 * (createTestDatabase) unless `config.url` names one. The caller destroys it.
 */
export async function createMigratedDataSource(config: Partial<DataSourceConfig> = {}): Promise<DataSource> {
  const dataSource = createDataSource({ ...config, url: config.url ?? (await createTestDatabase()) });
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/**
 * Runs every migration on `url` (a fresh database when none is given) and returns the URL, for
 * code that opens its own connections (apps, buses, a differently configured data source).
 */
export async function migratedTestDatabase(url?: string): Promise<string> {
  const databaseUrl = url ?? (await createTestDatabase());
  const dataSource = await createMigratedDataSource({
    url: databaseUrl,
    poolSize: MIGRATION_POOL_SIZE,
    applicationName: 'herald-test-migrate',
  });
  await dataSource.destroy();
  return databaseUrl;
}

afterAll(async () => {
  if (createdDatabases.length === 0) {
    return;
  }
  const adminUrl = requireDatabaseUrl();
  const names = createdDatabases.splice(0);
  await withAdminClient(adminUrl, async (client) => {
    for (const name of names) {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
});

async function withAdminClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `message-store` for test/im-router/message-store.test.ts: tells whose database it is. */
function testFileLabel(): string {
  const testPath = expect.getState().testPath ?? 'test';
  return basename(testPath)
    .replace(/\.test\.ts$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
}

/** Anything that runs SQL on the test's database (a TypeORM DataSource, a pg Pool or Client). */
interface Queryable {
  query(sql: string): Promise<unknown>;
}

/**
 * Resolves once `sessions` sessions of the current database wait for a lock (pg_locks, not
 * granted): the concurrent transaction a test started has reached the lock it must wait for.
 */
export async function waitForLockWaiters(db: Queryable, sessions = 1, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await db.query(
      `SELECT count(DISTINCT l.pid)::int AS waiting FROM pg_locks l
         JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE NOT l.granted AND a.datname = current_database()`,
    )) as Array<{ waiting: number }> | { rows: Array<{ waiting: number }> };
    const waiting = (Array.isArray(rows) ? rows : rows.rows)[0]?.waiting ?? 0;
    if (waiting >= sessions) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${sessions} session(s) to wait for a lock`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

/** How often waitForLockWaiters looks at pg_locks again. */
const LOCK_POLL_MS = 10;
