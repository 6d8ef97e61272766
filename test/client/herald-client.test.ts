// libs/client in Node over real WebSockets (SIP.js on Node's WebSocket) against the embedded default:
// register, login, buddies, IM with receipts, and a dropped connection (cut at a TCP relay) after
// which the client registers and logs in again and a command sent meanwhile is processed once.
import { HeraldClient, HeraldCommandError, sipJsCarrier } from '#herald/client';
import { uniqueUser } from '../e2e/e2e-support';
import { HeraldEmbedded } from '../support/herald-embedded';
import { TcpProxy } from '../support/tcp-proxy';
import { Recorder } from './client-recorder';
import { reconnectsAfterACut } from './sdk-scenarios';

const PASSWORD = 'client-secret';
const START_TIMEOUT_MS = 300_000;

describe('libs/client over WebSocket against the embedded default', () => {
  jest.setTimeout(120_000);
  let embedded: HeraldEmbedded | undefined;
  const clients: HeraldClient[] = [];
  const proxies: TcpProxy[] = [];

  beforeAll(async () => {
    embedded = await HeraldEmbedded.start();
  }, START_TIMEOUT_MS);
  afterEach(async () => {
    for (const client of clients.splice(0)) if (client.state === 'online') await client.disconnect();
    await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
  });
  afterAll(() => embedded?.stop());

  async function device(user: string, port?: number): Promise<{ client: HeraldClient; seen: Recorder }> {
    if (embedded === undefined) throw new Error('the embedded default did not start');
    const ws = embedded.address('ws');
    const client = new HeraldClient({
      carrier: sipJsCarrier({
        server: `ws://127.0.0.1:${port ?? ws.port}`,
        domain: embedded.domain,
        user,
        password: PASSWORD,
      }),
      login: { device: { name: 'node test' } },
      reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    const seen = new Recorder(client);
    clients.push(client);
    await client.connect();
    return { client, seen };
  }

  async function twoUsers(): Promise<[string, string]> {
    if (embedded === undefined) throw new Error('the embedded default did not start');
    const users: [string, string] = [uniqueUser('ann'), uniqueUser('ben')];
    for (const user of users) await embedded.createAccount(user, PASSWORD);
    return users;
  }

  it('logs in, becomes buddies, and exchanges IMs with delivered and stored receipts', async () => {
    const [annUser, benUser] = await twoUsers();
    const domain = embedded!.domain;
    const [ann, ben] = [await device(annUser), await device(benUser)];
    await ann.client.command('roster.add', { uri: `sip:${benUser}@${domain}`, name: 'Ben', group: 'Work' });
    await ben.seen.next('buddy.request', (request) => request.from === `sip:${annUser}@${domain}`);
    await ben.client.command('buddy.answer', { from: `sip:${annUser}@${domain}`, accept: true });
    const roster = await ann.seen.next('roster', (push) =>
      push.buddies.some((buddy) => buddy.state === 'both'),
    );
    expect(roster.buddies).toEqual([
      expect.objectContaining({
        uri: `sip:${benUser}@${domain}`,
        name: 'Ben',
        group: 'Work',
        state: 'both',
        status: 'online',
      }),
    ]);

    await ben.client.setPresence('busy', 'on a call');
    await ann.seen.next('presence', (push) => push.status === 'busy' && push.note === 'on a call');

    const { messageId } = await ann.client.sendIm(`sip:${benUser}@${domain}`, 'hello Ben');
    expect(await ann.seen.next('im.status', (status) => status.messageId === messageId)).toMatchObject({
      state: 'delivered',
    });
    expect(await ben.seen.next('im', (im) => im.messageId === messageId)).toMatchObject({
      from: `sip:${annUser}@${domain}`,
      text: 'hello Ben',
      offline: false,
    });

    await ben.client.disconnect();
    const stored = await ann.client.sendIm(`sip:${benUser}@${domain}`, 'while you were away');
    expect(await ann.seen.next('im.status', (status) => status.messageId === stored.messageId)).toMatchObject(
      { state: 'stored' },
    );
    const benAgain = await device(benUser);
    expect(await benAgain.seen.next('im', (im) => im.messageId === stored.messageId)).toMatchObject({
      offline: true,
      text: 'while you were away',
    });
  });

  it('rejects a command Herald refuses with a typed error naming the code', async () => {
    const [annUser] = await twoUsers();
    const { client } = await device(annUser);
    const refused = await client.command('roster.add', { uri: 'not-a-uri' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HeraldCommandError);
    expect(refused).toMatchObject({ command: 'roster.add', code: 'bad-request' });
  });

  it('after a dropped connection registers and logs in again, and sends a command queued meanwhile once', async () => {
    const [annUser, benUser] = await twoUsers();
    const domain = embedded!.domain;
    const proxy = await TcpProxy.start(embedded!.address('ws'));
    proxies.push(proxy);
    const ann = await device(annUser, proxy.port);
    const ben = await device(benUser);
    await ann.client.command('roster.add', { uri: `sip:${benUser}@${domain}` });
    await ben.client.command('buddy.answer', { from: `sip:${annUser}@${domain}`, accept: true });
    await reconnectsAfterACut(proxy, ann, `sip:${annUser}@${domain}`, ben, `sip:${benUser}@${domain}`);
  });
});
