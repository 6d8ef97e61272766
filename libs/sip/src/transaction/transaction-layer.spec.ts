import { createSocket, Socket } from 'node:dgram';
import {
  createResponse,
  createResponseFrom,
  PartialMessage,
  parseMessage,
  serializeMessage,
  SipRequest,
  SipResponse,
} from '../message';
import { TransportSet, UdpTransport } from '../transport';
import { waitFor } from '../../testing/transport-fixtures';
import { FakeClock } from './clock';
import { IncomingRequest, TransactionLayer } from './transaction-layer';

const EMPTY_PARTIAL: PartialMessage = {
  method: undefined,
  via: [],
  from: undefined,
  to: undefined,
  callId: undefined,
  cseq: undefined,
};

function info(branch: string, port: number, viaParams = ';rport'): string {
  const body = '{"v":1,"id":"c-1","type":"login"}';
  return (
    `INFO sip:herald.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:${port};branch=${branch}${viaParams}\r\n` +
    'Max-Forwards: 70\r\nFrom: <sip:alice@herald.example>;tag=a7\r\nTo: <sip:herald.example>\r\n' +
    'Call-ID: 8f2c1e@192.0.2.10\r\nCSeq: 2 INFO\r\nContent-Type: application/vnd.herald+json\r\n' +
    `Content-Length: ${body.length}\r\n\r\n${body}`
  );
}

/** An INFO the layer sends to the client at `clientPort` from its socket at `serverPort`. */
function push(serverPort: number, clientPort: number, branch: string, callId: string): SipRequest {
  return new SipRequest({
    method: 'INFO',
    uri: `sip:alice@127.0.0.1:${clientPort}`,
    headers: [
      ['Via', `SIP/2.0/UDP 127.0.0.1:${serverPort};branch=${branch}`],
      ['Max-Forwards', '70'],
      ['From', '<sip:herald.example>;tag=h9'],
      ['To', '<sip:alice@herald.example>'],
      ['Call-ID', callId],
      ['CSeq', '1 INFO'],
    ],
    body: '{}',
  });
}

describe('TransactionLayer over UDP (loopback)', () => {
  const clock = new FakeClock();
  const incoming: IncomingRequest[] = [];
  const errors: Error[] = [];
  const invalid: string[] = [];
  const transports = new TransportSet([new UdpTransport({ host: '127.0.0.1', port: 0 })]);
  const layer = new TransactionLayer({
    transports,
    clock,
    onRequest: (request) => incoming.push(request),
    onInvalidMessage: (error, flow) => {
      invalid.push(error.code);
      void layer.sendStatelessResponse(createResponseFrom(error.partial ?? EMPTY_PARTIAL, 400), flow);
    },
    onError: (error) => errors.push(error),
  });
  let client: Socket;
  let clientPort: number;
  let serverPort: number;
  const datagrams: string[] = [];

  beforeAll(async () => {
    [{ port: serverPort }] = await layer.start();
    client = createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    clientPort = client.address().port;
    client.on('message', (data) => datagrams.push(data.toString()));
  });
  afterAll(async () => {
    client.close();
    await layer.stop();
  });
  beforeEach(() => {
    incoming.length = 0;
    errors.length = 0;
    invalid.length = 0;
    datagrams.length = 0;
  });

  it('hands a request up once, answers to received/rport and resends the same final response', async () => {
    // sent-by names an address the packet did not come from: only received/rport reach the client.
    client.send(info('z9hG4bK-s1', 5070), serverPort, '127.0.0.1');
    await waitFor(() => incoming.length === 1, 'request handed up');
    const { request, flow } = incoming[0];
    expect(flow.id).toBe(`udp:${serverPort}:127.0.0.1:${clientPort}`);
    expect(request.topVia).toMatchObject({ received: '127.0.0.1', rport: clientPort });

    incoming[0].respond(createResponse(request, 200, { toTag: 'h1' }));
    await waitFor(() => datagrams.length === 1, 'response');
    const response = parseMessage(datagrams[0]) as SipResponse;
    expect(response.status).toBe(200);
    expect(response.headers.get('via')).toBe(
      `SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-s1;rport=${clientPort};received=127.0.0.1`,
    );

    client.send(info('z9hG4bK-s1', 5070), serverPort, '127.0.0.1');
    await waitFor(() => datagrams.length === 2, 'resent response');
    expect(datagrams[1]).toBe(datagrams[0]);
    expect(incoming).toHaveLength(1);
    expect(layer.size.servers).toBe(1);
    clock.advance(32_000); // Timer J = 64*T1 over UDP
    expect(layer.size.servers).toBe(0);
  });

  it('treats another branch as a new transaction', async () => {
    client.send(info('z9hG4bK-s2', 5070), serverPort, '127.0.0.1');
    client.send(info('z9hG4bK-s3', 5070), serverPort, '127.0.0.1');
    await waitFor(() => incoming.length === 2, 'two requests');
    expect(new Set(incoming.map((each) => each.transactionKey)).size).toBe(2);
    for (const each of incoming) each.respond(createResponse(each.request, 200));
    await waitFor(() => datagrams.length === 2, 'two responses');
    clock.advance(32_000);
  });

  it('runs a client transaction: retransmits on Timer E until the response arrives', async () => {
    const flow = transports.requireFlow(`udp:${serverPort}:127.0.0.1:${clientPort}`);
    const request = push(serverPort, clientPort, 'z9hG4bK-c1', 'push-1');
    const outcome = layer.sendRequest(request, flow);
    await waitFor(() => datagrams.length === 1, 'request');
    clock.advance(500);
    await waitFor(() => datagrams.length === 2, 'retransmission');
    expect(datagrams[1]).toBe(datagrams[0]);

    const received = parseMessage(datagrams[0]) as SipRequest;
    client.send(serializeMessage(createResponse(received, 100)), serverPort, '127.0.0.1');
    client.send(serializeMessage(createResponse(received, 200)), serverPort, '127.0.0.1');
    expect(await outcome).toMatchObject({ kind: 'answered', statusCode: 200 });
    expect(() => layer.sendRequest(request, flow)).toThrow(
      expect.objectContaining({ code: 'duplicate-transaction' }),
    );
    clock.advance(5000); // Timer K = T4
    expect(layer.size.clients).toBe(0);
  });

  it('answers a malformed request with a stateless 400 to its source', async () => {
    client.send(
      info('z9hG4bK-bad', 5070).replace('CSeq: 2 INFO', 'CSeq: 2 MESSAGE'),
      serverPort,
      '127.0.0.1',
    );
    await waitFor(() => datagrams.length === 1, '400');
    expect(invalid).toEqual(['SIP_CSEQ_METHOD_MISMATCH']);
    const response = parseMessage(datagrams[0]) as SipResponse;
    expect(response.status).toBe(400);
    expect(response.topVia?.branch).toBe('z9hG4bK-bad');
    expect(incoming).toEqual([]);
  });

  it('reports stray responses and malformed messages without handing them up', async () => {
    const stray =
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-none\r\nFrom: <sip:a@b>;tag=1\r\n' +
      'To: <sip:a@b>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INFO\r\nContent-Length: 0\r\n\r\n';
    client.send(stray, serverPort, '127.0.0.1');
    client.send('garbage\r\n\r\n', serverPort, '127.0.0.1');
    await waitFor(() => errors.length === 1 && invalid.length === 1, 'two reports');
    expect(errors[0]).toMatchObject({ code: 'stray-response' });
    expect(invalid).toEqual(['SIP_BAD_START_LINE']);
    expect(incoming).toEqual([]);
  });
});

describe('TransactionLayer admit (a banned source)', () => {
  const incoming: IncomingRequest[] = [];
  const invalid: string[] = [];
  const transports = new TransportSet([new UdpTransport({ host: '127.0.0.1', port: 0 })]);
  const layer = new TransactionLayer({
    transports,
    clock: new FakeClock(),
    admit: (flow) => flow.remote.address !== '127.0.0.2',
    onRequest: (request) => incoming.push(request),
    onInvalidMessage: (error) => invalid.push(error.code),
    onError: () => undefined,
  });
  const sockets: Socket[] = [];

  async function socketOn(address: string): Promise<Socket> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, address, () => resolve()));
    sockets.push(socket);
    return socket;
  }

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await layer.stop();
  });

  it('drops requests and invalid messages of a refused flow before any transaction, and hands up the others', async () => {
    const [{ port }] = await layer.start();
    const banned = await socketOn('127.0.0.2');
    const admitted = await socketOn('127.0.0.1');
    banned.send(info('z9hG4bK-b1', 5070), port, '127.0.0.1');
    banned.send('INFO sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n', port, '127.0.0.1');
    // One socket queue in arrival order: once the admitted request is handed up, the others were read.
    admitted.send(info('z9hG4bK-a1', 5071), port, '127.0.0.1');
    await waitFor(() => incoming.length === 1, 'the admitted request');
    expect(incoming[0].flow.remote.address).toBe('127.0.0.1');
    expect(invalid).toEqual([]);
    expect(layer.size.servers).toBe(1);
  });
});

describe('TransactionLayer stop', () => {
  it('ends every transaction left, with its timers: an answered server one and a waiting client one', async () => {
    const clock = new FakeClock();
    const incoming: IncomingRequest[] = [];
    const transports = new TransportSet([new UdpTransport({ host: '127.0.0.1', port: 0 })]);
    const layer = new TransactionLayer({
      transports,
      clock,
      onRequest: (request) => incoming.push(request),
      onInvalidMessage: () => undefined,
      onError: () => undefined,
    });
    const client = createSocket('udp4');
    try {
      const [{ port }] = await layer.start();
      await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
      const clientPort = client.address().port;
      client.send(info('z9hG4bK-stop', 5070), port, '127.0.0.1');
      await waitFor(() => incoming.length === 1, 'request handed up');
      // Answered: Completed, its Timer J (64*T1 over UDP) absorbing retransmissions.
      incoming[0].respond(createResponse(incoming[0].request, 200));
      const unanswered = layer.sendRequest(
        push(port, clientPort, 'z9hG4bK-unanswered', 'push-stop'),
        transports.requireFlow(`udp:${port}:127.0.0.1:${clientPort}`),
      );
      expect(layer.size).toEqual({ servers: 1, clients: 1 });
      expect(clock.pendingTimers).toBeGreaterThan(0);

      await layer.stop();

      expect(layer.size).toEqual({ servers: 0, clients: 0 });
      expect(clock.pendingTimers).toBe(0);
      expect(await unanswered).toEqual({
        kind: 'transport-error',
        error: expect.objectContaining({ code: 'flow-closed' }),
      });
    } finally {
      client.close();
    }
  });
});
