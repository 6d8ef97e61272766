import { connect, Socket } from 'node:net';
import { createResponse, serializeMessage, SipRequest, SipResponse, SipStreamReader } from '../message';
import { localVia, StreamTransport, TransportSet } from '../transport';
import { optionsRequest, waitFor } from '../../testing/transport-fixtures';
import { FakeClock } from './clock';
import { newBranch } from './keys';
import { IncomingRequest, TransactionLayer } from './transaction-layer';

describe('TransactionLayer over TCP (loopback)', () => {
  const clock = new FakeClock();
  const incoming: IncomingRequest[] = [];
  const closedFlows: string[] = [];
  const transports = new TransportSet([new StreamTransport({ protocol: 'tcp', host: '127.0.0.1', port: 0 })]);
  const layer = new TransactionLayer({
    transports,
    clock,
    onRequest: (request) => incoming.push(request),
    onInvalidMessage: (error) => {
      throw error;
    },
    onError: (error) => {
      throw error;
    },
    onFlowClosed: (flow) => closedFlows.push(flow.id),
  });
  let port: number;
  let client: Socket;
  const fromServer: (SipRequest | SipResponse)[] = [];

  beforeAll(async () => {
    [{ port }] = await layer.start();
    client = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const reader = new SipStreamReader({
      onMessage: (message) => fromServer.push(message),
      onKeepAlivePing: () => undefined,
      onInvalidMessage: (error) => {
        throw error;
      },
    });
    client.on('data', (chunk: Buffer) => reader.push(chunk));
  });
  afterAll(() => layer.stop());

  it('answers over the same connection and then pushes a request back over it', async () => {
    client.write(optionsRequest('z9hG4bK-t1', 'TCP'));
    await waitFor(() => incoming.length === 1, 'request');
    const { request, flow } = incoming[0];
    expect(flow.id).toMatch(/^tcp:[\w-]+\.\d+$/);
    // sent-by 127.0.0.1 equals the source and no rport was asked: Via unchanged (§18.2.1).
    expect(request.headers.get('via')).toBe('SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-t1');
    incoming[0].respond(createResponse(request, 200));
    await waitFor(() => fromServer.length === 1, 'response');
    expect((fromServer[0] as SipResponse).status).toBe(200);
    clock.advance(0); // Timer J = 0 over reliable transports
    expect(layer.size.servers).toBe(0);

    const push = new SipRequest({
      method: 'INFO',
      uri: 'sip:a@127.0.0.1:5070;transport=tcp',
      headers: [
        ['Via', localVia(transports.requireFlow(flow.id), newBranch())],
        ['Max-Forwards', '70'],
        ['From', '<sip:herald.example>;tag=h1'],
        ['To', '<sip:a@herald.example>'],
        ['Call-ID', 'push-2'],
        ['CSeq', '1 INFO'],
      ],
      body: '{"v":1}',
    });
    const outcome = layer.sendRequest(push, transports.requireFlow(flow.id));
    await waitFor(() => fromServer.length === 2, 'pushed request');
    const received = fromServer[1] as SipRequest;
    expect(received.topVia).toMatchObject({ transport: 'TCP', host: '127.0.0.1', port, rport: true });
    clock.advance(31_999); // no retransmission over TCP
    expect(fromServer).toHaveLength(2);
    client.write(serializeMessage(createResponse(received, 200)));
    expect(await outcome).toMatchObject({ kind: 'answered', statusCode: 200 });

    client.destroy();
    await waitFor(() => closedFlows.length === 1, 'flow closed');
    expect(() => transports.requireFlow(flow.id)).toThrow(expect.objectContaining({ code: 'no-flow' }));
  });
});
