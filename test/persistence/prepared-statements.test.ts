// The hot statements run as named prepared statements (libs/persistence/src/prepared-statement.ts).
// What that must give, on a real PostgreSQL: a lookup of one key is planned once per connection,
// not once per execution, and a connection opened after a PostgreSQL restart prepares them again.
import { createDataSource, SqlDeviceDirectory } from '#herald/persistence';
import type { DataSource } from 'typeorm';
import { PrivateServer } from '../support/herald-infrastructure';
import { waitFor } from '../support/wait-for';
import { createMigratedDataSource } from '../support/database';

const RECONNECT_WAIT_MS = 30_000;
/** PostgreSQL tries custom plans for a prepared statement's first five executions. */
const CUSTOM_PLANS_TRIED = 5;
const LOOKUPS = 3 * CUSTOM_PLANS_TRIED;

interface PreparedRow {
  statement: string;
  generic_plans: string;
  custom_plans: string;
}

describe('prepared statements (real PostgreSQL)', () => {
  let server: PrivateServer;
  let dataSource: DataSource;
  let directory: SqlDeviceDirectory;

  beforeAll(async () => {
    server = await PrivateServer.postgres();
    const setup = await createMigratedDataSource({ url: server.address });
    try {
      await setup.query(
        `INSERT INTO accounts (username, aor, realm, ha1_md5, ha1_sha256, disabled, settings, created_at, updated_at)
         SELECT 'u' || i, 'sip:u' || i || '@example.com', 'example.com', 'md5', 'sha256', false, '{}', now(), now()
         FROM generate_series(1, 3) AS i`,
      );
      await setup.query(
        `INSERT INTO registrations (aor, device_id, contact, edge_id, flow_id, transport, source, call_id, cseq, expires_at)
         SELECT 'sip:u' || i || '@example.com', 'd' || i, 'sip:u' || i || '@127.0.0.1:5060', 'edge-1', 'udp:' || i,
           'udp', '{}', 'call-' || i, 1, now() + interval '1 hour'
         FROM generate_series(1, 3) AS i`,
      );
      await setup.query(
        `INSERT INTO sessions (aor, device_id, carrier, status, started_at)
         SELECT 'sip:u' || i || '@example.com', 'd' || i, 'INFO', 'online', now() FROM generate_series(1, 3) AS i`,
      );
      // This server commits asynchronously: the crash below must not take these rows back.
      await setup.query('CHECKPOINT');
    } finally {
      await setup.destroy();
    }
    // One connection: the lookups and the reads of pg_prepared_statements share its session.
    dataSource = createDataSource({ url: server.address, poolSize: 1, onConnectionLost: () => undefined });
    await dataSource.initialize();
    directory = new SqlDeviceDirectory(dataSource);
  }, 120_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await server?.stop();
  });

  /** The lookups' prepared statements on the pool's one connection, with the plans each had. */
  async function lookupsPrepared(): Promise<PreparedRow[]> {
    return dataSource.query(
      `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
       WHERE statement LIKE '%FROM auth_devices_v1%' ORDER BY statement`,
    );
  }

  async function deviceIdsOf(aors: string[]): Promise<string[]> {
    const byAor = await directory.loggedInDevices(aors);
    return [...byAor.values()].flat().map((device) => device.deviceId);
  }

  it('plans a lookup of one key once, and finds what a lookup of several keys finds', async () => {
    for (let lookup = 0; lookup < LOOKUPS; lookup += 1) {
      expect(await deviceIdsOf(['sip:u1@example.com'])).toEqual(['d1']);
    }
    expect(await deviceIdsOf(['sip:u1@example.com', 'sip:u3@example.com'])).toEqual(['d1', 'd3']);
    const [oneKey, ...others] = (await lookupsPrepared()).filter((row) => /aor = \$1\b/.test(row.statement));
    expect(others).toEqual([]);
    expect(Number(oneKey!.custom_plans)).toBeLessThanOrEqual(CUSTOM_PLANS_TRIED);
    expect(Number(oneKey!.generic_plans)).toBeGreaterThanOrEqual(LOOKUPS - CUSTOM_PLANS_TRIED);
  });

  it('prepares them again on the connection opened after a PostgreSQL restart', async () => {
    const [{ pid: before }]: Array<{ pid: number }> = await dataSource.query(
      'SELECT pg_backend_pid() AS pid',
    );
    await server.crashRestart();
    // The pool drops the connection that ended; the lookup in flight, if any, fails and is retried.
    await waitFor(
      () =>
        deviceIdsOf(['sip:u2@example.com']).then(
          (found) => found.join() === 'd2',
          () => false,
        ),
      RECONNECT_WAIT_MS,
      'a lookup on a new connection',
    );
    const [{ pid: after }]: Array<{ pid: number }> = await dataSource.query('SELECT pg_backend_pid() AS pid');
    expect(after).not.toBe(before);
    expect(
      (await lookupsPrepared()).map((row) => Number(row.generic_plans) + Number(row.custom_plans)),
    ).toEqual([1]);
  });
});
