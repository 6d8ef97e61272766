// The end-to-end scenarios against the embedded default (one process, in-process bus, embedded
// PostgreSQL), plus what only it has: demo accounts, TLS with its own certificate, clean shutdown.
import { Client } from 'pg';
import { HeraldEmbedded } from '../support/herald-embedded';
import { SipClient } from '../support/sip-client';
import { describeHeraldScenarios } from './scenarios';

let embedded: HeraldEmbedded | undefined;
describeHeraldScenarios(async () => {
  // Operators load pg_stat_statements this way (docs/configuration.md); checked below.
  embedded = await HeraldEmbedded.start({
    env: { HERALD_PG_SETTINGS: 'shared_preload_libraries=pg_stat_statements work_mem=5MB' },
  });
  return embedded;
});

describe('the embedded default itself', () => {
  it('has the demo accounts alice, bob and carol (password herald), reachable over TLS', async () => {
    if (embedded === undefined) throw new Error('the embedded default did not start');
    expect(embedded.herald.log).toContain('Demo accounts: sip:alice@herald.local');
    for (const user of ['alice', 'bob', 'carol']) {
      const client = await SipClient.open({
        protocol: 'tls',
        server: embedded.address('tls'),
        domain: embedded.domain,
        user,
        password: 'herald',
      });
      try {
        expect((await client.register()).status).toBe(200);
      } finally {
        await client.close();
      }
    }
  });

  it('starts its PostgreSQL with the settings of HERALD_PG_SETTINGS', async () => {
    if (embedded === undefined) throw new Error('the embedded default did not start');
    const client = new Client({ connectionString: embedded.postgresUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ preload: string; work_mem: string; fsync: string }>(
        `SELECT current_setting('shared_preload_libraries') AS preload,
                current_setting('work_mem') AS work_mem, current_setting('fsync') AS fsync`,
      );
      expect(rows).toEqual([{ preload: 'pg_stat_statements', work_mem: '5MB', fsync: 'on' }]);
    } finally {
      await client.end();
    }
  });

  // Last: the scenarios' afterAll then finds the process gone and only removes the data.
  it('shuts down cleanly on SIGTERM: exit code 0, PostgreSQL stopped', async () => {
    if (embedded === undefined) throw new Error('the embedded default did not start');
    expect(await embedded.shutdown()).toEqual({ exitCode: 0, postgresRunning: false });
  });
});
