// libs/client in Node on its own user agent (sipCarrier, on libs/sip) over real UDP, TCP and
// WebSocket sockets on 127.0.0.1 against the embedded default: the whole scenario on each transport;
// over UDP a request and a push answer lost once at a relay (RFC 3261 retransmission on both sides,
// the push acted on once); over TCP a cut connection after which the client registers and logs in
// again and a command sent meanwhile is processed once.
import { HeraldClient, HeraldClientError } from '#herald/client';
import { sipCarrier } from '#herald/client/node';
import type { SipMessage } from '#herald/sip';
import { HeraldEmbedded } from '../support/herald-embedded';
import { TcpProxy } from '../support/tcp-proxy';
import { UdpRelay } from '../support/udp-relay';
import { reconnectsAfterACut, rosterPresenceAndIm, SdkDevices, type SdkProtocol } from './sdk-scenarios';

const START_TIMEOUT_MS = 300_000;

/** The envelope type of a request carrying one, else undefined. */
function envelopeType(message: SipMessage): string | undefined {
  if (message.kind !== 'request' || message.bodyText === '') return undefined;
  const parsed: unknown = JSON.parse(message.bodyText);
  return typeof parsed === 'object' && parsed !== null && 'type' in parsed ? String(parsed.type) : undefined;
}

function branchOf(message: SipMessage): string | undefined {
  return message.topVia?.params.get('branch') ?? undefined;
}

describe('libs/client on its own user agent against the embedded default', () => {
  jest.setTimeout(120_000);
  let embedded: HeraldEmbedded | undefined;
  const devices = new SdkDevices(() => {
    if (embedded === undefined) throw new Error('the embedded default did not start');
    return embedded;
  });
  const relays: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    embedded = await HeraldEmbedded.start();
  }, START_TIMEOUT_MS);
  afterEach(async () => {
    await devices.close();
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
  });
  afterAll(() => embedded?.stop());

  it.each<SdkProtocol>(['udp', 'tcp', 'ws'])(
    'over %s: registers, logs in, keeps a roster, sees presence and exchanges IMs both ways',
    (protocol) => rosterPresenceAndIm(devices, protocol),
  );

  it('over UDP retransmits a request lost on the way, and answers a retransmitted push again, acting on it once', async () => {
    const [annUser, benUser] = (await devices.users('ann', 'ben')) as [string, string];
    const relay = await UdpRelay.start(embedded!.address('udp'));
    relays.push(relay);
    const ann = await devices.device(annUser, 'udp', relay.port);
    const ben = await devices.device(benUser, 'tcp');
    await devices.buddies(ann, annUser, ben, benUser);

    // Ann's INFO is lost once: Timer E sends it again (same transaction) and Herald runs it once.
    relay.dropNext('to-herald', (message) => envelopeType(message) === 'im.send');
    const sent = await ann.client.sendIm(devices.aor(benUser), 'lost once on the way');
    const copies = relay.seen('to-herald', (message) => envelopeType(message) === 'im.send');
    // Timer E may fire more than once before Herald's 200 (it answers once the IM is durable).
    expect(copies.length).toBeGreaterThanOrEqual(2);
    expect(copies.map((copy) => copy.dropped)).toEqual([true, ...copies.slice(1).map(() => false)]);
    expect(new Set(copies.map((copy) => branchOf(copy.message))).size).toBe(1);
    expect(await ann.seen.next('im.status', (status) => status.messageId === sent.messageId)).toMatchObject({
      state: 'delivered',
    });
    expect(ben.seen.all('im').filter((im) => im.messageId === sent.messageId)).toHaveLength(1);

    // Ann's 200 to an im push is lost once: Herald sends the push again and gets the same 200.
    const isImPush = (message: SipMessage) => envelopeType(message) === 'im';
    relay.dropNext(
      'to-herald',
      (message) =>
        message.kind === 'response' &&
        relay.seen('to-client', isImPush).some((push) => push.message.callId === message.callId),
    );
    const back = await ben.client.sendIm(devices.aor(annUser), 'your answer was lost once');
    expect(await ben.seen.next('im.status', (status) => status.messageId === back.messageId)).toMatchObject({
      state: 'delivered',
    });
    const pushes = relay.seen('to-client', isImPush);
    expect(pushes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(pushes.map((push) => branchOf(push.message))).size).toBe(1);
    const answers = relay.seen(
      'to-herald',
      (message) => message.kind === 'response' && message.callId === pushes[0]!.message.callId,
    );
    expect(answers.length).toBeGreaterThanOrEqual(2);
    expect(answers.map((answer) => answer.dropped)).toEqual([true, ...answers.slice(1).map(() => false)]);
    expect(
      answers.every((answer) => answer.message.kind === 'response' && answer.message.status === 200),
    ).toBe(true);
    expect(ann.seen.all('im').filter((im) => im.messageId === back.messageId)).toHaveLength(1);
  });

  it('over TCP after a cut connection registers and logs in again, and sends a command queued meanwhile once', async () => {
    const [annUser, benUser] = (await devices.users('ann', 'ben')) as [string, string];
    const proxy = await TcpProxy.start(embedded!.address('tcp'));
    relays.push(proxy);
    const ann = await devices.device(annUser, 'tcp', proxy.port);
    const ben = await devices.device(benUser, 'udp');
    await devices.buddies(ann, annUser, ben, benUser);
    await reconnectsAfterACut(proxy, ann, devices.aor(annUser), ben, devices.aor(benUser));
  });

  it('fails connect() with a typed error naming the status when the password is wrong', async () => {
    const [annUser] = (await devices.users('ann')) as [string];
    const client = new HeraldClient({
      carrier: sipCarrier({
        server: `tcp://127.0.0.1:${embedded!.address('tcp').port}`,
        domain: embedded!.domain,
        user: annUser,
        password: 'not the password',
      }),
    });
    const refused = await client.connect().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HeraldClientError);
    expect(refused).toMatchObject({ code: 'HERALD_REGISTER_FAILED', sipStatus: 401 });
    expect(client.state).toBe('idle');
  });
});
