// A PostgreSQL connection that ends under a service (the server restarted, a network cut) must
// cost at most the query in flight: the chaos soak saw im-router and presence processes die of an
// uncaught 'error' event from a pg client that no listener held at that moment.
import { createDataSource } from '#herald/persistence';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../support/database';
import { waitFor } from '../support/wait-for';

const LOST_WAIT_MS = 10_000;

describe('a lost PostgreSQL connection (real PostgreSQL)', () => {
  let dataSource: DataSource;
  const lost: Error[] = [];

  beforeAll(async () => {
    dataSource = createDataSource({
      url: await createTestDatabase(),
      poolSize: 2,
      onConnectionLost: (error) => lost.push(error),
    });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('is reported, not thrown, even on a client that neither the pool nor TypeORM listens to', async () => {
    // A checked-out client is the one the pool stops listening to; TypeORM adds its own listener
    // only while a query runner holds the client, so this one has neither.
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await dataSource.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await waitFor(() => lost.length > 0, LOST_WAIT_MS, 'the lost connection to be reported');
    expect(lost[0]!.message).toMatch(/terminat/i);
    client.release(true);
    expect(await dataSource.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
