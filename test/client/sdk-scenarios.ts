// What the SDK's Node carriers must do against any Herald (embedded default or apps on Kafka):
// devices on sipCarrier over a given transport, and the scenario every transport runs.
import { type ConnectionState, HeraldClient } from '#herald/client';
import { sipCarrier, type SipFlowProtocol } from '#herald/client/node';
import { uniqueUser } from '../e2e/e2e-support';
import type { HeraldTarget } from '../support/herald-target';
import type { TcpProxy } from '../support/tcp-proxy';
import { Recorder } from './client-recorder';

export const SDK_PASSWORD = 'sdk-secret';

export interface SdkDevice {
  client: HeraldClient;
  seen: Recorder;
}

export type SdkProtocol = Exclude<SipFlowProtocol, 'tls' | 'wss'>;

/** Opens devices on `target()` and disconnects them all in `close()`. */
export class SdkDevices {
  private readonly clients: HeraldClient[] = [];

  constructor(private readonly target: () => HeraldTarget) {}

  get domain(): string {
    return this.target().domain;
  }

  async users(...labels: string[]): Promise<string[]> {
    const users = labels.map((label) => uniqueUser(label));
    for (const user of users) await this.target().createAccount(user, SDK_PASSWORD);
    return users;
  }

  aor(user: string): string {
    return `sip:${user}@${this.domain}`;
  }

  /** A connected device over `protocol`, straight to Herald or to `port` (a relay in front of it). */
  async device(user: string, protocol: SdkProtocol, port?: number): Promise<SdkDevice> {
    const target = this.target();
    const client = new HeraldClient({
      carrier: sipCarrier({
        server: `${protocol}://127.0.0.1:${port ?? target.address(protocol).port}`,
        domain: target.domain,
        user,
        password: SDK_PASSWORD,
        // The targets run the edge with a short T1; the client retransmits on the same scale.
        timers: { t1Ms: target.t1Ms },
      }),
      login: { device: { name: `sdk ${protocol}` } },
      reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    const seen = new Recorder(client);
    this.clients.push(client);
    await client.connect();
    return { client, seen };
  }

  async close(): Promise<void> {
    for (const client of this.clients.splice(0)) if (client.state === 'online') await client.disconnect();
  }

  /** Ann adds Ben, Ben accepts: both rosters say `both`. */
  async buddies(ann: SdkDevice, annUser: string, ben: SdkDevice, benUser: string): Promise<void> {
    await ann.client.command('roster.add', { uri: this.aor(benUser) });
    await ben.seen.next('buddy.request', (request) => request.from === this.aor(annUser));
    await ben.client.command('buddy.answer', { from: this.aor(annUser), accept: true });
    await ann.seen.next('roster', (push) => push.buddies.some((buddy) => buddy.state === 'both'));
  }
}

/**
 * Register and login, roster (the sender's roster pushed after roster.add and roster.update, with no
 * roster.get), presence, and IMs both ways with their receipts, every device over `protocol`.
 */
export async function rosterPresenceAndIm(devices: SdkDevices, protocol: SdkProtocol): Promise<void> {
  const [annUser, benUser] = (await devices.users('ann', 'ben')) as [string, string];
  const [annAor, benAor] = [devices.aor(annUser), devices.aor(benUser)];
  const ann = await devices.device(annUser, protocol);
  const ben = await devices.device(benUser, protocol);
  expect(ann.seen.all('login')).toEqual([expect.objectContaining({ user: annAor })]);

  await ann.client.command('roster.add', { uri: benAor, name: 'Ben', group: 'Work' });
  const pending = await ann.seen.next('roster', (push) => push.buddies.length > 0);
  expect(pending.buddies).toEqual([
    expect.objectContaining({ uri: benAor, name: 'Ben', group: 'Work', state: 'pending-out' }),
  ]);
  await ben.seen.next('buddy.request', (request) => request.from === annAor);
  await ben.client.command('buddy.answer', { from: annAor, accept: true });
  await ann.seen.next('roster', (push) => push.buddies.some((buddy) => buddy.state === 'both'));

  await ben.client.setPresence('busy', 'on a call');
  await ann.seen.next(
    'presence',
    (push) => push.uri === benAor && push.status === 'busy' && push.note === 'on a call',
  );
  await ann.client.setPresence('away', 'lunch');
  await ben.seen.next(
    'presence',
    (push) => push.uri === annAor && push.status === 'away' && push.note === 'lunch',
  );

  const toBen = await ann.client.sendIm(benAor, `hello Ben over ${protocol}`);
  expect(await ben.seen.next('im', (im) => im.messageId === toBen.messageId)).toMatchObject({
    from: annAor,
    text: `hello Ben over ${protocol}`,
    offline: false,
  });
  expect(await ann.seen.next('im.status', (status) => status.messageId === toBen.messageId)).toMatchObject({
    state: 'delivered',
  });
  const toAnn = await ben.client.sendIm(annAor, `hello Ann over ${protocol}`);
  expect(await ann.seen.next('im', (im) => im.messageId === toAnn.messageId)).toMatchObject({
    from: benAor,
    text: `hello Ann over ${protocol}`,
  });
  expect(await ben.seen.next('im.status', (status) => status.messageId === toAnn.messageId)).toMatchObject({
    state: 'delivered',
  });

  await ann.client.command('roster.update', { uri: benAor, group: 'Friends' });
  const regrouped = await ann.seen.next('roster', (push) =>
    push.buddies.some((buddy) => buddy.group === 'Friends'),
  );
  expect(regrouped.buddies).toEqual([
    expect.objectContaining({ uri: benAor, name: 'Ben', group: 'Friends', state: 'both', status: 'busy' }),
  ]);
}

/**
 * Ann (through `proxy`) and Ben are buddies. The proxy cuts Ann's connection and refuses new ones;
 * an IM Ann sends meanwhile waits, and once the proxy allows again Ann registers and logs in anew
 * (with the status she had set) and the IM reaches Ben exactly once.
 */
export async function reconnectsAfterACut(
  proxy: TcpProxy,
  ann: SdkDevice,
  annAor: string,
  ben: SdkDevice,
  benAor: string,
): Promise<void> {
  await ann.client.setPresence('away', 'back soon');
  proxy.cut({ refuse: true });
  await ann.seen.next('state', (change) => change.state === 'reconnecting');
  const queued = ann.client.sendIm(benAor, 'sent while reconnecting');
  const states: ConnectionState[] = [];
  ann.client.on('state', (change) => states.push(change.state));
  proxy.allow();
  const { messageId } = await queued;
  expect(ann.client.state).toBe('online');
  expect(ann.seen.all('login')).toHaveLength(2);
  expect(await ben.seen.next('im', (im) => im.messageId === messageId)).toMatchObject({
    text: 'sent while reconnecting',
  });
  // Logged in again with the status set before the cut: Ben's view of Ann settles on "away" again,
  // not "online". (The new binding alone shows "online" until its login, and that push and the IM
  // come from different services, so the IM may arrive first: wait for the last push to say away.)
  const lastOfAnn = () => ben.seen.all('presence').findLast((push) => push.uri === annAor);
  await ben.seen.next('presence', () => lastOfAnn()?.status === 'away' && lastOfAnn()?.note === 'back soon');
  expect(ben.seen.all('im').filter((im) => im.messageId === messageId)).toHaveLength(1);
  expect(states.at(-1)).toBe('online');
}
