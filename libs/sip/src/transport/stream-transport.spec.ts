import { connect as connectTcp, Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Flow, TransportHandlers } from './flow';
import { StreamTransport } from './stream-transport';
import { generateTestCertificate, TestCertificate, waitFor } from '../../testing/transport-fixtures';

interface Events {
  messages: { data: string; flow: Flow }[];
  invalid: string[];
  closed: Flow[];
  errors: Error[];
}

function recording(events: Events): TransportHandlers {
  return {
    message: (message, flow) => events.messages.push({ data: message.bodyText, flow }),
    invalidMessage: (error) => events.invalid.push(error.code),
    flowClosed: (flow) => events.closed.push(flow),
    error: (error) => events.errors.push(error),
  };
}

function open(
  protocol: 'tcp' | 'tls',
  port: number,
  certificate: TestCertificate | undefined,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      protocol === 'tls'
        ? connectTls({ host: '127.0.0.1', port, ca: certificate?.cert }, () => resolve(socket))
        : connectTcp({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function received(socket: Socket): () => string {
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return () => text;
}

const OPTIONS =
  'OPTIONS sip:herald.example SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-1\r\n' +
  'Max-Forwards: 70\r\nFrom: <sip:a@herald.example>;tag=1\r\nTo: <sip:herald.example>\r\nCall-ID: c1\r\n' +
  'CSeq: 1 OPTIONS\r\nContent-Length: 5\r\n\r\nhello';

describe.each([
  ['tcp', undefined],
  ['tls', generateTestCertificate()],
] as const)('StreamTransport %s (loopback)', (protocol, certificate) => {
  const events: Events = { messages: [], invalid: [], closed: [], errors: [] };
  const transport = new StreamTransport({
    protocol,
    host: '127.0.0.1',
    port: 0,
    tls: certificate,
    limits: { idleTimeoutMs: 300, maxConnections: 2 },
    parseLimits: { maxMessageBytes: 1024 },
  });
  let port: number;

  beforeAll(async () => {
    port = (await transport.start(recording(events))).port;
  });
  afterAll(() => transport.stop());
  beforeEach(() => {
    events.messages.length = 0;
    events.closed.length = 0;
    events.errors.length = 0;
    events.invalid.length = 0;
  });

  it('frames split and pipelined messages, answers keep-alives and replies on the connection', async () => {
    const client = await open(protocol, port, certificate);
    const text = received(client);
    client.write(OPTIONS.slice(0, 40));
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.write(OPTIONS.slice(40) + OPTIONS);
    await waitFor(() => events.messages.length === 2, 'two messages');
    expect(events.messages.map((message) => message.data)).toEqual(['hello', 'hello']);
    const { flow } = events.messages[0];
    expect(flow.id).toMatch(new RegExp(`^${protocol}:[\\w-]+\\.\\d+$`));
    expect(events.messages[1].flow).toBe(flow);

    client.write('\r\n\r\n');
    await waitFor(() => text() === '\r\n', 'keep-alive pong');

    await transport.findFlow(flow.id)?.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'));
    await waitFor(() => text() === '\r\nSIP/2.0 200 OK\r\n\r\n', 'response on the same connection');

    client.end();
    await waitFor(() => events.closed.length === 1, 'flow closed');
    expect(flow.isOpen()).toBe(false);
    expect(transport.findFlow(flow.id)).toBeUndefined();
    await expect(flow.send(Buffer.from('late'))).rejects.toMatchObject({ code: 'flow-closed' });
  });

  it('drops a connection whose message exceeds the framing limit', async () => {
    const client = await open(protocol, port, certificate);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.write(OPTIONS.replace('Content-Length: 5', 'Content-Length: 5000'));
    await closed;
    await waitFor(() => events.errors.length === 1, 'framing error');
    expect(events.errors[0]).toMatchObject({ code: 'framing-error' });
    expect(events.messages).toEqual([]);
  });

  it('closes idle connections', async () => {
    const client = await open(protocol, port, certificate);
    await new Promise<void>((resolve) => client.once('close', () => resolve()));
    await waitFor(() => events.closed.length === 1, 'idle flow closed');
  });

  it('refuses connections beyond the limit', async () => {
    const first = await open(protocol, port, certificate);
    const second = await open(protocol, port, certificate);
    const third = connectTcp({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => third.once('close', () => resolve()));
    first.destroy();
    second.destroy();
    await waitFor(() => events.closed.length === 2, 'both flows closed');
  });
});
