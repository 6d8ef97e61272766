import { createSocket, Socket } from 'node:dgram';
import { Flow, TransportHandlers } from './flow';
import { waitFor } from './test-support';
import { UdpTransport } from './udp-transport';

interface Received {
  data: Buffer;
  flow: Flow;
}

function collectingHandlers(received: Received[]): TransportHandlers {
  return {
    message: (data, flow) => received.push({ data, flow }),
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
  const transport = new UdpTransport({ host: '127.0.0.1', port: 0 });
  const received: Received[] = [];
  let client: Socket;
  let port: number;

  beforeAll(async () => {
    port = (await transport.start(collectingHandlers(received))).port;
    client = createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
  });

  afterAll(async () => {
    client.close();
    await transport.stop();
  });

  it('delivers datagrams with a stable flow id and answers over the same socket', async () => {
    client.send(Buffer.from('OPTIONS one'), port, '127.0.0.1');
    await waitFor(() => received.length === 1);
    const { data, flow } = received[0];
    expect(data.toString()).toBe('OPTIONS one');
    expect(flow.id).toBe(`udp:${port}:127.0.0.1:${client.address().port}`);
    expect(flow.reliable).toBe(false);

    const reply = nextDatagram(client);
    await transport.findFlow(flow.id)?.send(Buffer.from('SIP/2.0 200 OK'));
    expect((await reply).toString()).toBe('SIP/2.0 200 OK');
  });

  it('does not resolve flows of another socket', () => {
    expect(transport.findFlow(`udp:${port + 1}:127.0.0.1:5060`)).toBeUndefined();
    expect(transport.findFlow('tcp:1')).toBeUndefined();
  });

  it('reports a closed socket on its flows', async () => {
    const other = new UdpTransport({ host: '127.0.0.1', port: 0 });
    await other.start(collectingHandlers([]));
    const flow = other.flowTo({ address: '127.0.0.1', port: client.address().port });
    expect(flow.isOpen()).toBe(true);
    await other.stop();
    expect(flow.isOpen()).toBe(false);
    await expect(flow.send(Buffer.from('x'))).rejects.toMatchObject({ code: 'flow-closed' });
  });
});
