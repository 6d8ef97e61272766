import { WebSocket } from 'ws';
import { Flow, TransportHandlers } from './flow';
import { generateTestCertificate, optionsRequest, waitFor } from '../../testing/transport-fixtures';
import { WsTransport } from './ws-transport';

interface Events {
  messages: { data: string; flow: Flow }[];
  invalid: string[];
  closed: Flow[];
}

function recording(events: Events): TransportHandlers {
  return {
    message: (message, flow) => events.messages.push({ data: message.bodyText, flow }),
    invalidMessage: (error) => events.invalid.push(error.code),
    flowClosed: (flow) => events.closed.push(flow),
    error: (error) => {
      throw error;
    },
  };
}

function connect(url: string, protocols: string[], ca?: string): Promise<WebSocket> {
  const socket = new WebSocket(url, protocols, ca === undefined ? {} : { ca });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<{ text: string; isBinary: boolean }> {
  return new Promise((resolve) =>
    socket.once('message', (data, isBinary) => resolve({ text: data.toString(), isBinary })),
  );
}

describe.each([
  ['ws', undefined],
  ['wss', generateTestCertificate()],
] as const)('WsTransport %s (loopback)', (protocol, certificate) => {
  const events: Events = { messages: [], invalid: [], closed: [] };
  const transport = new WsTransport({
    protocol,
    host: '127.0.0.1',
    port: 0,
    tls: certificate,
    limits: { idleTimeoutMs: 300 },
  });
  let url: string;

  beforeAll(async () => {
    const { port } = await transport.start(recording(events));
    url = `${protocol}://127.0.0.1:${port}`;
  });
  afterAll(() => transport.stop());
  beforeEach(() => {
    events.messages.length = 0;
    events.closed.length = 0;
    events.invalid.length = 0;
  });

  it('negotiates "sip", delivers messages and answers on the same connection as text frames', async () => {
    const client = await connect(url, ['sip'], certificate?.cert);
    expect(client.protocol).toBe('sip');
    client.send(optionsRequest('z9hG4bK-w1', 'WS', 'hi'));
    client.send('garbage');
    await waitFor(() => events.messages.length === 1 && events.invalid.length === 1);
    expect(events.messages[0].data).toBe('hi');
    expect(events.invalid).toEqual(['SIP_TRUNCATED']);
    const { flow } = events.messages[0];
    expect(flow.id).toMatch(new RegExp(`^${protocol}:[\\w-]+\\.\\d+$`));
    expect(flow.reliable).toBe(true);
    expect(flow.remote.address).toBe('127.0.0.1');

    const reply = nextMessage(client);
    await transport.findFlow(flow.id)?.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'));
    expect(await reply).toEqual({ text: 'SIP/2.0 200 OK\r\n\r\n', isBinary: false });

    client.close();
    await waitFor(() => events.closed.length === 1, 'flow closed');
    expect(events.closed[0].id).toBe(flow.id);
    expect(flow.isOpen()).toBe(false);
    expect(transport.findFlow(flow.id)).toBeUndefined();
    await expect(flow.send(Buffer.from('late'))).rejects.toMatchObject({ code: 'flow-closed' });
  });

  it('refuses clients that do not offer the sip subprotocol', async () => {
    await expect(connect(url, ['chat'], certificate?.cert)).rejects.toThrow(/400|Unexpected server response/);
  });

  it('closes idle connections', async () => {
    const client = await connect(url, ['sip'], certificate?.cert);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await closed;
    await waitFor(() => events.closed.length === 1, 'idle flow closed');
  });
});
