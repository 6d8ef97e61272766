import { createDataSource } from '#herald/persistence';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';

export interface TestDatabase {
  /** Initialized, with no migrations applied yet. */
  dataSource: DataSource;
  drop(): Promise<void>;
}

/** A fresh database on the PostgreSQL at DATABASE_URL, so suites never share tables. */
export async function openTestDatabase(prefix: string): Promise<TestDatabase> {
  const adminUrl = process.env['DATABASE_URL'];
  if (!adminUrl) {
    throw new Error('DATABASE_URL must point at the test PostgreSQL');
  }
  const name = `herald_${prefix}_${randomUUID().replace(/-/g, '')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dataSource = createDataSource({ url: url.toString(), applicationName: `test-${prefix}` });
  await dataSource.initialize();
  return {
    dataSource,
    async drop() {
      await dataSource.destroy();
      await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
