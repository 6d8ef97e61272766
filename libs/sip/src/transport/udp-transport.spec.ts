import { createSocket, Socket } from 'node:dgram';
import { SipMessage, SipParseError, SipRequest } from '../message';
import { Flow, TransportHandlers } from './flow';
import { optionsRequest, waitFor } from './test-support';
import { UdpTransport } from './udp-transport';

interface Events {
  messages: { message: SipMessage; flow: Flow }[];
  invalid: SipParseError[];
}

function recording(events: Events): TransportHandlers {
  return {
    message: (message, flow) => events.messages.push({ message, flow }),
    invalidMessage: (error) => events.invalid.push(error),
    flowClosed: () => undefined,
    error: (error) => {
      throw error;
    },
  };
}

function nextDatagram(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(data)));
}

describe('UdpTransport (loopback)', () => {
  const transport = new UdpTransport({ host: '127.0.0.1', port: 0, parseLimits: { maxMessageBytes: 1000 } });
  const events: Events = { messages: [], invalid: [] };
  let client: Socket;
  let port: number;

  beforeAll(async () => {
    port = (await transport.start(recording(events))).port;
    client = createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
  });

  afterAll(async () => {
    client.close();
    await transport.stop();
  });

  it('parses datagrams, names the flow stably and answers over the same socket', async () => {
    client.send(optionsRequest('z9hG4bK-u1', 'UDP', 'hello'), port, '127.0.0.1');
    await waitFor(() => events.messages.length === 1);
    const { message, flow } = events.messages[0];
    expect((message as SipRequest).method).toBe('OPTIONS');
    expect(message.bodyText).toBe('hello');
    expect(flow.id).toBe(`udp:${port}:127.0.0.1:${client.address().port}`);
    expect(flow.reliable).toBe(false);

    const reply = nextDatagram(client);
    await transport.findFlow(flow.id)?.send(Buffer.from('SIP/2.0 200 OK'));
    expect((await reply).toString()).toBe('SIP/2.0 200 OK');
  });

  it('reports malformed and oversized datagrams as invalid', async () => {
    client.send('NOT SIP\r\n\r\n', port, '127.0.0.1');
    client.send(optionsRequest('z9hG4bK-u2', 'UDP', 'x'.repeat(1000)), port, '127.0.0.1');
    await waitFor(() => events.invalid.length === 2);
    expect(events.invalid.map((error) => error.code).sort()).toEqual([
      'SIP_BAD_START_LINE',
      'SIP_MESSAGE_TOO_LARGE',
    ]);
  });

  it('does not resolve flows of another socket', () => {
    expect(transport.findFlow(`udp:${port + 1}:127.0.0.1:5060`)).toBeUndefined();
    expect(transport.findFlow('tcp:1')).toBeUndefined();
  });

  it('reports a closed socket on its flows', async () => {
    const other = new UdpTransport({ host: '127.0.0.1', port: 0 });
    await other.start(recording({ messages: [], invalid: [] }));
    const flow = other.flowTo({ address: '127.0.0.1', port: client.address().port });
    expect(flow.isOpen()).toBe(true);
    await other.stop();
    expect(flow.isOpen()).toBe(false);
    await expect(flow.send(Buffer.from('x'))).rejects.toMatchObject({ code: 'flow-closed' });
  });
});
