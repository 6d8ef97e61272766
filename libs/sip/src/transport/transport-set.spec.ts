import { createSocket, Socket } from 'node:dgram';
import { Flow, TransportHandlers } from './flow';
import { optionsRequest, waitFor } from '../../testing/transport-fixtures';
import { TransportSet } from './transport-set';
import { UdpTransport } from './udp-transport';

describe('TransportSet (loopback)', () => {
  const flows: Flow[] = [];
  const handlers: TransportHandlers = {
    message: (_message, flow) => flows.push(flow),
    invalidMessage: (error) => {
      throw error;
    },
    flowClosed: () => undefined,
    error: (error) => {
      throw error;
    },
  };
  const transports = new TransportSet([
    new UdpTransport({ host: '127.0.0.1', port: 0 }),
    new UdpTransport({ host: '127.0.0.1', port: 0 }),
  ]);
  const clients: Socket[] = [];
  let ports: number[];

  beforeAll(async () => {
    ports = (await transports.start(handlers)).map((address) => address.port);
    for (let index = 0; index < 2; index++) {
      const client = createSocket('udp4');
      await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
      clients.push(client);
    }
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await transports.stop();
  });

  it('finds flows across transports and reports missing ones as no-flow', async () => {
    clients[0].send(optionsRequest('z9hG4bK-t1'), ports[1], '127.0.0.1');
    await waitFor(() => flows.length === 1);
    expect(transports.requireFlow(flows[0].id)).toMatchObject({ id: flows[0].id });
    expect(() => transports.requireFlow('tcp:999999')).toThrow(expect.objectContaining({ code: 'no-flow' }));
  });

  it('answers UDP from the receiving socket towards the Via target', async () => {
    const target = clients[1].address();
    const reply = new Promise<{ port: number }>((resolve) =>
      clients[1].once('message', (_data, remote) => resolve({ port: remote.port })),
    );
    const flow = transports.responseFlow(flows[0], { address: '127.0.0.1', port: target.port });
    await flow.send(Buffer.from('SIP/2.0 200 OK'));
    expect(await reply).toEqual({ port: ports[1] });
  });

  it('answers a request whose Via target is its source over the flow it came on', () => {
    expect(transports.responseFlow(flows[0], { ...flows[0].remote })).toBe(flows[0]);
  });
});
