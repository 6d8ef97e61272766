// The end-to-end scenarios against the embedded default (one process, in-process bus, embedded
// PostgreSQL), plus what only it has: demo accounts, TLS with its own certificate, clean shutdown.
import { HeraldEmbedded } from '../support/herald-embedded';
import { SipClient } from '../support/sip-client';
import { describeHeraldScenarios } from './scenarios';

let embedded: HeraldEmbedded | undefined;
describeHeraldScenarios(async () => {
  embedded = await HeraldEmbedded.start();
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

  // Last: the scenarios' afterAll then finds the process gone and only removes the data.
  it('shuts down cleanly on SIGTERM: exit code 0, PostgreSQL stopped', async () => {
    if (embedded === undefined) throw new Error('the embedded default did not start');
    expect(await embedded.shutdown()).toEqual({ exitCode: 0, postgresRunning: false });
  });
});
