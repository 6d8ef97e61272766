import { Client } from 'pg';
import { createTestDatabase } from './database';
import { requireDatabaseUrl } from './env';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  it('creates a separate, empty database per call, named after the test file', async () => {
    const first = await createTestDatabase();
    const second = await createTestDatabase();

    expect(first).not.toBe(second);
    expect(new URL(first).pathname).toMatch(/^\/herald_database_[0-9a-f]{12}$/);
    await query(first, 'CREATE TABLE probe (id int)');
    const tables = await query<{ count: string }>(
      second,
      "SELECT count(*) FROM information_schema.tables WHERE table_name = 'probe'",
    );
    expect(tables).toEqual([{ count: '0' }]);
    const names = await query<{ datname: string }>(requireDatabaseUrl(), 'SELECT datname FROM pg_database');
    expect(names.map((row) => row.datname)).toEqual(
      expect.arrayContaining([new URL(first).pathname.slice(1), new URL(second).pathname.slice(1)]),
    );
  });
});
