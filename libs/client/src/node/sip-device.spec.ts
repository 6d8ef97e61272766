import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  createResponse,
  parseMessage,
  serializeMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../../../sip/src/message';
import { SipClientError, SipDevice } from './sip-device';

const LOOPBACK = '127.0.0.1';

/** A UDP peer on loopback standing in for Herald: records what the device sends, sends requests to it. */
class FakeHerald {
  readonly received: { message: SipMessage; from: RemoteInfo }[] = [];
  /** Datagrams libs/sip cannot parse (a 400 copies the bad header it answers), as text. */
  readonly unparsable: string[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('message', (data, from) => {
      try {
        this.received.push({ message: parseMessage(data), from });
      } catch {
        this.unparsable.push(data.toString('utf8'));
      }
      this.waiters.splice(0).forEach((wake) => wake());
    });
  }

  static async start(): Promise<FakeHerald> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
    return new FakeHerald(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(to: RemoteInfo, data: string | Buffer): void {
    this.socket.send(data, to.port, to.address);
  }

  async responses(count: number): Promise<SipResponse[]> {
    for (;;) {
      const found = this.received.flatMap(({ message }) => (message.kind === 'response' ? [message] : []));
      if (found.length >= count) return found;
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** A device recording the requests it was asked to answer. */
class RecordingDevice extends SipDevice {
  readonly answered: SipRequest[] = [];
  readonly repeated: SipRequest[] = [];

  protected override answerRequest(request: SipRequest): SipResponse | undefined {
    if (request.method !== 'INFO') return super.answerRequest(request);
    this.answered.push(request);
    return createResponse(request, 200);
  }

  protected override requestRepeated(request: SipRequest): void {
    this.repeated.push(request);
  }
}

function push(method: string, branch: string): string {
  return [
    `${method} sip:ann@${LOOPBACK} SIP/2.0`,
    `Via: SIP/2.0/UDP ${LOOPBACK}:5060;branch=${branch}`,
    'From: <sip:herald.test>;tag=h1',
    'To: <sip:ann@herald.test>',
    `Call-ID: ${branch}@herald`,
    `CSeq: 1 ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('SipDevice over UDP', () => {
  let herald: FakeHerald;
  let device: RecordingDevice;

  beforeEach(async () => {
    herald = await FakeHerald.start();
    device = new RecordingDevice({
      protocol: 'udp',
      server: { address: LOOPBACK, port: herald.port },
      domain: 'herald.test',
      user: 'ann',
      password: 'secret',
      localAddress: LOOPBACK,
      // Timer F far off: a loaded machine must not end a transaction a test is still watching.
      timers: { t1Ms: 20, t2Ms: 80, timeoutMs: 60_000 },
    });
    await device.open();
  });
  afterEach(async () => {
    await device.close();
    await herald.close();
  });

  it('retransmits an unanswered request in one transaction (Timer E) until the answer', async () => {
    const answered = device.request('OPTIONS');
    const copies = await waitFor(() => (herald.received.length >= 3 ? herald.received : undefined));
    const branches = new Set(copies.map(({ message }) => message.topVia?.params.get('branch')));
    expect(branches.size).toBe(1);
    const first = copies[0]!;
    if (first.message.kind !== 'request') throw new Error('expected the request');
    herald.send(first.from, serializeMessage(createResponse(first.message, 200)));
    expect((await answered).status).toBe(200);
  });

  it('gives up with SIP_CLIENT_TIMEOUT at Timer F', async () => {
    const impatient = new RecordingDevice({ ...device.options, timers: { t1Ms: 20, timeoutMs: 200 } });
    await impatient.open();
    try {
      const outcome = await impatient.request('OPTIONS').catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(SipClientError);
      expect(outcome).toMatchObject({ code: 'SIP_CLIENT_TIMEOUT' });
    } finally {
      await impatient.close();
    }
  });

  it('answers a retransmitted request with the same response, handing it up once', async () => {
    const from = await deviceAddress(device, herald);
    herald.send(from, push('INFO', 'z9hG4bK-one'));
    herald.send(from, push('INFO', 'z9hG4bK-one'));
    const [first, second] = await herald.responses(2);
    expect(serializeMessage(second!)).toEqual(serializeMessage(first!));
    expect(first!.status).toBe(200);
    expect(device.answered).toHaveLength(1);
    expect(device.repeated).toHaveLength(1);
  });

  it('answers OPTIONS 200, a method it does not serve 501 and unparsable SIP 400 with the reason', async () => {
    const from = await deviceAddress(device, herald);
    herald.send(from, push('OPTIONS', 'z9hG4bK-opt'));
    herald.send(from, push('NOTIFY', 'z9hG4bK-not'));
    herald.send(from, push('INFO', 'z9hG4bK-bad').replace('CSeq: 1 INFO', 'CSeq: one INFO'));
    const responses = await herald.responses(2);
    const byBranch = new Map(responses.map((response) => [response.topVia?.params.get('branch'), response]));
    expect(byBranch.get('z9hG4bK-opt')?.status).toBe(200);
    expect(byBranch.get('z9hG4bK-not')?.status).toBe(501);
    const rejected = await waitFor(() => herald.unparsable[0]);
    expect(rejected).toMatch(/^SIP\/2\.0 400 Bad Request \(.+\)\r\n/);
    expect(rejected).toContain('branch=z9hG4bK-bad');
    expect(device.answered).toHaveLength(0);
  });
});

/** The device's UDP address as Herald sees it: from a request it sends (answered, so nothing pends). */
async function deviceAddress(device: SipDevice, herald: FakeHerald): Promise<RemoteInfo> {
  const sent = device.request('OPTIONS');
  const { message, from } = await waitFor(() => herald.received[0]);
  if (message.kind !== 'request') throw new Error('expected the request');
  herald.send(from, serializeMessage(createResponse(message, 200)));
  await sent;
  herald.received.length = 0;
  return from;
}

async function waitFor<T>(find: () => T | undefined): Promise<T> {
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
