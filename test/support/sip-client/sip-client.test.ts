import { createServer, type Server, type Socket } from 'node:net';
import { SipClient, SipClientError } from './sip-client';

const LOOPBACK = '127.0.0.1';
const DOMAIN = 'herald.test';
/** Keeps the client transaction's Timer F (64*T1), which outlives the reset, short. */
const CLIENT_T1_MS = 10;

/** A listener that resets every connection as soon as it receives bytes (like an edge killed mid-request). */
async function resettingServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket: Socket) => socket.once('data', () => socket.resetAndDestroy()));
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return { server, port: address.port };
}

describe('SipClient over TCP when Herald resets the connection', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => ({ server, port } = await resettingServer()));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('rejects the pending request with a transport error and marks the client closed', async () => {
    const client = await SipClient.open({
      protocol: 'tcp',
      server: { address: LOOPBACK, port },
      domain: DOMAIN,
      user: 'alice',
      password: 'wonderland',
      t1Ms: CLIENT_T1_MS,
    });
    expect(client.closed).toBe(false);
    const pending = client.request('OPTIONS');
    await expect(pending).rejects.toThrow(SipClientError);
    await expect(pending).rejects.toMatchObject({
      code: 'SIP_CLIENT_TRANSPORT',
      message: expect.stringMatching(/flow ended: tcp connection to Herald failed: .*ECONNRESET/),
    });
    expect(client.closed).toBe(true);
    await expect(client.request('OPTIONS')).rejects.toMatchObject({ code: 'SIP_CLIENT_TRANSPORT' });
    await client.close();
  });
});
