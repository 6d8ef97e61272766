import { createSocket, Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { SipMessage, SipParseError, SipRequest } from '../message';
import { Flow, TransportHandlers } from './flow';
import { optionsRequest, waitFor } from '../../testing/transport-fixtures';
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

  it('sends to a host name too (a Via maddr): names still go through the resolver', async () => {
    const reply = nextDatagram(client);
    await transport
      .flowTo({ address: 'localhost', port: client.address().port })
      .send(Buffer.from('by name'));
    expect((await reply).toString()).toBe('by name');
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

describe('UdpTransport receive buffer (Linux loopback)', () => {
  /** The largest SO_RCVBUF an unprivileged process may ask for on this host. */
  const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
  const transports: UdpTransport[] = [];

  async function started(
    receiveBufferBytes: number | undefined,
    events = { messages: [], invalid: [] } as Events,
  ) {
    const transport = new UdpTransport({ host: '127.0.0.1', port: 0, receiveBufferBytes });
    transports.push(transport);
    const local = await transport.start(recording(events));
    return { transport, local };
  }

  afterEach(async () => {
    await Promise.all(transports.splice(0).map((transport) => transport.stop()));
  });

  it('applies the requested size and reads back what the kernel granted (twice the request)', async () => {
    const requestedBytes = Math.floor(rmemMax / 2);
    const { transport } = await started(requestedBytes);
    expect(transport.receiveBuffer).toEqual({
      requestedBytes,
      effectiveBytes: 2 * requestedBytes,
      capped: false,
    });
  });

  it('says so when net.core.rmem_max capped the request', async () => {
    const { transport } = await started(rmemMax * 2);
    expect(transport.receiveBuffer).toEqual({
      requestedBytes: rmemMax * 2,
      effectiveBytes: 2 * rmemMax,
      capped: true,
    });
  });

  it('keeps the kernel default when no size is asked for', async () => {
    const { transport } = await started(undefined);
    const rmemDefault = Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8'));
    expect(transport.receiveBuffer).toEqual({
      requestedBytes: undefined,
      effectiveBytes: rmemDefault,
      capped: false,
    });
  });

  it("counts the kernel's drops of a full receive queue: every datagram sent is either received or dropped", async () => {
    const events: Events = { messages: [], invalid: [] };
    // The smallest buffer the kernel allows holds a handful of datagrams.
    const { transport, local } = await started(1, events);
    const sender = createSocket('udp4');
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', () => resolve()));
    try {
      const datagrams = 500;
      // Sent within one turn of the event loop: the transport cannot read until all are out.
      const sent = Array.from(
        { length: datagrams },
        (_, i) =>
          new Promise<void>((resolve, reject) =>
            sender.send(
              optionsRequest(`z9hG4bK-d${i}`, 'UDP', 'x'.repeat(400)),
              local.port,
              '127.0.0.1',
              (error) => (error ? reject(error) : resolve()),
            ),
          ),
      );
      await Promise.all(sent);
      let drops = 0;
      const deadline = Date.now() + 5_000;
      while (events.messages.length + drops < datagrams && Date.now() < deadline) {
        drops = (await transport.receiveDrops()) ?? 0;
      }
      expect(drops).toBeGreaterThan(0);
      expect(events.messages.length + drops).toBe(datagrams);
    } finally {
      sender.close();
    }
  });

  it('has no drop count once stopped', async () => {
    const { transport } = await started(undefined);
    expect(await transport.receiveDrops()).toBe(0);
    await transport.stop();
    expect(await transport.receiveDrops()).toBeUndefined();
  });
});
