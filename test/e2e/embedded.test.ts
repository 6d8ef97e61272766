// The end-to-end scenarios against the embedded default (one process, in-process bus, embedded
// PostgreSQL), plus what only it has: demo accounts, TLS with its own certificate, clean shutdown.
import { createServer } from 'node:net';
import { HeraldEmbedded } from '../support/herald-embedded';
import { SipClient } from '../support/sip-client';
import { describeHeraldScenarios } from './scenarios';

/** A TCP port nobody listens on now (the embedded PostgreSQL cannot pick an ephemeral one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

let embedded: HeraldEmbedded | undefined;
describeHeraldScenarios(async () => {
  embedded = await HeraldEmbedded.start(await freePort());
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
});
