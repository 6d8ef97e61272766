import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { createResponse, parseMessage, serializeMessage, SipRequest } from '#herald/sip';
import { SipClient, SipClientError } from './sip-client';

const LOOPBACK = '127.0.0.1';
const DOMAIN = 'herald.test';

/** A TCP listener that does `onData` with every connection's first bytes. */
async function tcpServer(onData: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((socket: Socket) => socket.once('data', () => onData(socket)));
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return { server, port: address.port };
}

/** A UDP socket that answers every request 200 OK. */
async function answeringUdpServer(): Promise<{ socket: UdpSocket; port: number }> {
  const socket = createSocket('udp4');
  socket.on('message', (data, peer) => {
    const request = parseMessage(data);
    if (request instanceof SipRequest) {
      socket.send(serializeMessage(createResponse(request, 200)), peer.port, peer.address);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  return { socket, port: socket.address().port };
}

function openClient(protocol: 'tcp' | 'udp', port: number): Promise<SipClient> {
  return SipClient.open({
    protocol,
    server: { address: LOOPBACK, port },
    domain: DOMAIN,
    user: 'alice',
    password: 'wonderland',
  });
}

describe('SipClient over TCP when Herald resets the connection', () => {
  let server: Server;
  let port: number;

  // Resets like an edge killed mid-request.
  beforeAll(async () => ({ server, port } = await tcpServer((socket) => socket.resetAndDestroy())));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('rejects the pending request with a transport error and marks the client closed', async () => {
    const client = await openClient('tcp', port);
    expect(client.closed).toBe(false);
    const pending = client.request('OPTIONS');
    await expect(pending).rejects.toThrow(SipClientError);
    await expect(pending).rejects.toMatchObject({
      code: 'SIP_CLIENT_TRANSPORT',
      message: expect.stringMatching(/flow ended: tcp connection to Herald failed: .*ECONNRESET/),
    });
    expect(client.closed).toBe(true);
    // The request's Timer F (64*T1) ended with the flow instead of outliving the test.
    expect(client.pendingTimers).toBe(0);
    await expect(client.request('OPTIONS')).rejects.toMatchObject({ code: 'SIP_CLIENT_TRANSPORT' });
    await client.close();
  });
});

describe('SipClient.close leaves no transaction timer behind', () => {
  it('ends a TCP request still waiting for its answer (Timer F)', async () => {
    const silent = await tcpServer(() => undefined);
    try {
      const client = await openClient('tcp', silent.port);
      const pending = client.request('OPTIONS');
      expect(client.pendingTimers).toBe(1);

      await client.close();

      await expect(pending).rejects.toMatchObject({ code: 'SIP_CLIENT_TRANSPORT' });
      expect(client.pendingTimers).toBe(0);
    } finally {
      await new Promise<void>((resolve) => silent.server.close(() => resolve()));
    }
  });

  it('ends an answered UDP transaction still absorbing retransmissions (Timer K)', async () => {
    const answering = await answeringUdpServer();
    try {
      const client = await openClient('udp', answering.port);
      expect((await client.request('OPTIONS')).status).toBe(200);
      expect(client.pendingTimers).toBe(1);

      await client.close();

      expect(client.pendingTimers).toBe(0);
    } finally {
      await new Promise<void>((resolve) => answering.socket.close(() => resolve()));
    }
  });
});
