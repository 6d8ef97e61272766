import type { Carrier, CarrierHandlers, PushAnswer } from './carrier';
import { HeraldClientError, HeraldCommandError } from './errors';
import { HeraldClient, type StateChange } from './herald-client';
import { ENVELOPE_CONTENT_TYPE } from './protocol';

type Envelope = { v: number; id: string; type: string; [field: string]: unknown };

/** One fake SIP flow: records what the client sends, lets the test push and drop the connection. */
class FakeCarrier implements Carrier {
  readonly sent: Envelope[] = [];
  closed = false;
  /** How send() answers; a test replaces it to reject (a SIP error response). */
  answer: (envelope: Envelope) => Promise<void> = () => Promise.resolve();

  constructor(
    readonly handlers: CarrierHandlers,
    private readonly server: FakeServer,
  ) {}

  open(): Promise<void> {
    return this.server.refuseOpen
      ? Promise.reject(new HeraldClientError('HERALD_NOT_CONNECTED', 'refused'))
      : Promise.resolve();
  }

  send(body: string): Promise<void> {
    const envelope = JSON.parse(body) as Envelope;
    this.sent.push(envelope);
    this.server.received.push(envelope);
    const answered = this.answer(envelope);
    // Herald pushes the result after its 200 OK; the fake answers logins on its own.
    if (envelope.type === 'login') {
      void answered.then(() =>
        this.push({
          type: 'login.result',
          re: envelope.id,
          ok: true,
          user: 'sip:alice@d',
          profile: { settings: {} },
        }),
      );
    }
    return answered;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  push(fields: Record<string, unknown>, id = `p-${++this.server.pushCount}`): PushAnswer {
    return this.handlers.onPush(JSON.stringify({ v: 1, id, ...fields }), ENVELOPE_CONTENT_TYPE);
  }
}

class FakeServer {
  readonly carriers: FakeCarrier[] = [];
  readonly received: Envelope[] = [];
  pushCount = 0;
  refuseOpen = false;
  private waiters: (() => void)[] = [];

  readonly factory = (handlers: CarrierHandlers): Carrier => {
    const carrier = new FakeCarrier(handlers, this);
    this.carriers.push(carrier);
    this.waiters.splice(0).forEach((wake) => wake());
    return carrier;
  };

  get current(): FakeCarrier {
    const carrier = this.carriers.at(-1);
    if (carrier === undefined) throw new Error('no carrier yet');
    return carrier;
  }

  /** Resolves once the client has made `count` carriers. */
  async carrierCount(count: number): Promise<void> {
    while (this.carriers.length < count) await new Promise<void>((wake) => this.waiters.push(wake));
  }
}

/** Resolves once `condition()` holds, looking again after each turn of the event loop. */
async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function stateOf(client: HeraldClient, wanted: StateChange['state']): Promise<StateChange> {
  return stateWhere(client, (change) => change.state === wanted);
}

function stateWhere(client: HeraldClient, wanted: (change: StateChange) => boolean): Promise<StateChange> {
  return new Promise((resolve) => {
    const off = client.on('state', (change) => {
      if (wanted(change)) {
        off();
        resolve(change);
      }
    });
  });
}

async function connected(
  options: { status?: 'away' } = {},
): Promise<{ client: HeraldClient; server: FakeServer }> {
  const server = new FakeServer();
  const client = new HeraldClient({
    carrier: server.factory,
    login: { ...options, device: { name: 'test' } },
    reconnect: { initialDelayMs: 1, maxDelayMs: 1 },
  });
  await client.connect();
  return { client, server };
}

describe('HeraldClient', () => {
  it('registers, logs in with its login fields and resolves with the login result', async () => {
    const { client, server } = await connected({ status: 'away' });
    expect(client.state).toBe('online');
    expect(server.received[0]).toMatchObject({
      v: 1,
      type: 'login',
      status: 'away',
      device: { name: 'test' },
    });
    expect(server.received[0]?.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('resolves a command with its result fields and rejects an ok:false result with a typed error', async () => {
    const { client, server } = await connected();
    const sent = client.sendIm('sip:bob@d', 'hi');
    const command = server.current.sent.at(-1)!;
    expect(command).toMatchObject({ type: 'im.send', to: 'sip:bob@d', text: 'hi' });
    server.current.push({ type: 'im.send.result', re: command.id, ok: true, messageId: 'm-1' });
    await expect(sent).resolves.toEqual({ messageId: 'm-1' });

    const refused = client.command('roster.add', { uri: 'sip:nobody@d' });
    const add = server.current.sent.at(-1)!;
    server.current.push({
      type: 'roster.add.result',
      re: add.id,
      ok: false,
      error: { code: 'not-found', message: 'no such user' },
    });
    const error = await refused.catch((rejected: unknown) => rejected);
    expect(error).toBeInstanceOf(HeraldCommandError);
    expect(error).toMatchObject({ command: 'roster.add', code: 'not-found' });
  });

  it('rejects a command Herald refused at the SIP level with the status', async () => {
    const { client, server } = await connected();
    server.current.answer = () =>
      Promise.reject(new HeraldClientError('HERALD_SIP_REJECTED', 'MESSAGE answered 413', 413));
    await expect(client.setPresence('busy', 'x')).rejects.toMatchObject({
      code: 'HERALD_SIP_REJECTED',
      sipStatus: 413,
    });
  });

  it('re-sends a command Herald refused with 503 and Retry-After, with the same id', async () => {
    const { client, server } = await connected();
    let attempts = 0;
    server.current.answer = () =>
      ++attempts === 1
        ? Promise.reject(new HeraldClientError('HERALD_SIP_REJECTED', 'MESSAGE answered 503', 503, 0))
        : Promise.resolve();
    const sent = client.command('roster.get', {});
    await waitUntil(
      () => server.current.sent.filter((envelope) => envelope.type === 'roster.get').length === 2,
    );
    const [first, second] = server.current.sent.filter((envelope) => envelope.type === 'roster.get');
    expect(second).toEqual(first);
    server.current.push({ type: 'roster.get.result', re: first!.id, ok: true });
    await expect(sent).resolves.toEqual({});
  });

  it('takes a request with no response (408) for a lost connection: reconnects and re-sends with the same id', async () => {
    const { client, server } = await connected();
    server.current.answer = (envelope) =>
      envelope.type === 'im.send'
        ? Promise.reject(new HeraldClientError('HERALD_SIP_REJECTED', 'MESSAGE answered 408', 408))
        : Promise.resolve();
    const online = stateWhere(client, (change) => change.state === 'online');
    const sent = client.sendIm('sip:bob@d', 'lost on the way');
    const first = server.current.sent.at(-1)!;
    await server.carrierCount(2);
    await online;
    expect(server.carriers[0]?.closed).toBe(true);
    const again = server.current.sent.find((envelope) => envelope.type === 'im.send');
    expect(again).toEqual(first);
    server.current.push({ type: 'im.send.result', re: first.id, ok: true, messageId: 'm-2' });
    await expect(sent).resolves.toEqual({ messageId: 'm-2' });
  });

  it('answers every push, emits each push id once, and refuses what is not an envelope', async () => {
    const { client, server } = await connected();
    const ims: unknown[] = [];
    const errors: Error[] = [];
    client.on('im', (im) => ims.push(im));
    client.on('error', (error) => errors.push(error));
    const im = {
      type: 'im',
      messageId: 'm-1',
      from: 'sip:bob@d',
      text: 'hi',
      sentAt: '2026-01-01T00:00:00Z',
      offline: false,
    };
    expect(server.current.push(im, 'p-same')).toEqual({ status: 200 });
    expect(server.current.push(im, 'p-same')).toEqual({ status: 200 });
    expect(ims).toEqual([{ v: 1, id: 'p-same', ...im }]);

    expect(server.current.handlers.onPush('{not json', ENVELOPE_CONTENT_TYPE).status).toBe(400);
    expect(server.current.handlers.onPush('{"type":"im"}', ENVELOPE_CONTENT_TYPE).status).toBe(400);
    expect(server.current.handlers.onPush('hello', 'text/plain').status).toBe(415);
    expect(errors.map((error) => (error as HeraldClientError).code)).toEqual([
      'HERALD_BAD_PUSH',
      'HERALD_BAD_PUSH',
    ]);
  });

  it('after a dropped connection registers and logs in again with the last status, and re-sends an unanswered command with its id', async () => {
    const { client, server } = await connected();
    const presence = client.setPresence('busy', 'in a meeting');
    const set = server.current.sent.at(-1)!;
    server.current.push({ type: 'presence.set.result', re: set.id, ok: true });
    await presence;

    const sent = client.sendIm('sip:bob@d', 'are you there?');
    const first = server.current.sent.at(-1)!;
    const reconnecting = stateOf(client, 'reconnecting');
    const online = stateOf(client, 'online');
    server.current.handlers.onLost('socket closed');
    expect(await reconnecting).toEqual({ state: 'reconnecting', reason: 'socket closed' });
    expect(server.carriers[0]?.closed).toBe(true);
    await server.carrierCount(2);
    await online;

    const again = server.current.sent;
    expect(again[0]).toMatchObject({ type: 'login', status: 'busy', note: 'in a meeting' });
    expect(again[1]).toEqual(first);
    // Herald runs the id once but may push its result for both transactions: one resolution.
    server.current.push({ type: 'im.send.result', re: first.id, ok: true, messageId: 'm-9' });
    server.current.push({ type: 'im.send.result', re: first.id, ok: true, messageId: 'm-9' });
    await expect(sent).resolves.toEqual({ messageId: 'm-9' });
  });

  it('queues a command sent while reconnecting and sends it once logged in again', async () => {
    const { client, server } = await connected();
    server.refuseOpen = true;
    const attemptFailed = stateWhere(
      client,
      (change) => change.state === 'reconnecting' && change.reason === 'refused',
    );
    server.current.handlers.onLost('socket closed');
    const queued = client.command('roster.get', {});
    await attemptFailed;
    expect(server.carriers.map((carrier) => carrier.sent.some((sent) => sent.type === 'roster.get'))).toEqual(
      [false, false],
    );
    const online = stateWhere(client, (change) => change.state === 'online');
    server.refuseOpen = false;
    await online;
    const get = server.current.sent.find((envelope) => envelope.type === 'roster.get')!;
    server.current.push({ type: 'roster.get.result', re: get.id, ok: true });
    await expect(queued).resolves.toEqual({});
  });

  it('logs out, then closes; commands after that are refused', async () => {
    const { client, server } = await connected();
    const carrier = server.current;
    const done = client.disconnect();
    const logout = carrier.sent.at(-1)!;
    expect(logout.type).toBe('logout');
    carrier.push({ type: 'logout.result', re: logout.id, ok: true });
    await done;
    expect(carrier.closed).toBe(true);
    expect(client.state).toBe('closed');
    await expect(client.sendIm('sip:bob@d', 'late')).rejects.toMatchObject({ code: 'HERALD_NOT_CONNECTED' });
  });

  it('fails connect() when Herald cannot be reached and stays idle', async () => {
    const server = new FakeServer();
    server.refuseOpen = true;
    const client = new HeraldClient({ carrier: server.factory });
    await expect(client.connect()).rejects.toMatchObject({ code: 'HERALD_NOT_CONNECTED' });
    expect(client.state).toBe('idle');
  });
});
