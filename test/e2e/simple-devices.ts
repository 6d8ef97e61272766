// protocol.md §7, written once and run against the embedded default and the separate apps on
// Kafka, over real UDP and TCP on 127.0.0.1: plain SIP devices (REGISTER only) as seen by JSON
// clients, text/plain IMs both ways, and presence PUBLISH (RFC 3903).
import { PIDF_CONTENT_TYPE, type SipResponse } from '#herald/sip';
import type { HeraldTarget } from '../support/herald-target';
import type { ClientProtocol, SipClient } from '../support/sip-client';
import { commandResult, expectStatus, pushOf, targetUnderTest } from './e2e-support';

/** Short enough to watch a registration and a publication expire within a test. */
export const MIN_EXPIRES_SECONDS = 2;
/** Auth's registration expiry sweep, faster than its default (5 s) so expiry shows quickly. */
const AUTH_SWEEP_INTERVAL_MS = 500;
/** What a target runs with for these tests. */
export const SIMPLE_DEVICES_ENV: Readonly<Record<string, string>> = {
  HERALD_MIN_EXPIRES: String(MIN_EXPIRES_SECONDS),
  HERALD_AUTH_SWEEP_INTERVAL_MS: String(AUTH_SWEEP_INTERVAL_MS),
};
/** The longest test here (befriending, then several PUBLISH round trips), on a loaded machine. */
const TEST_TIMEOUT_MS = 90_000;
/** A plain device gets IMs once its login grace period (5 s) passed and the 1 s sweep ran. */
const PLAIN_DELIVERY_WAIT_MS = 30_000;
/** Registration and publication expiry: the expiry itself, the sweep, and a loaded machine. */
const EXPIRY_WAIT_MS = 30_000;
/** The edge's default (and longest) expiry: a registration's default, one hour. */
const DEFAULT_PUBLICATION_SECONDS = 3600;

/** Registers the §7 tests for the target `start()` brings up with SIMPLE_DEVICES_ENV. */
export function describeSimpleDevices(start: () => Promise<HeraldTarget>): void {
  jest.setTimeout(TEST_TIMEOUT_MS);
  const { target, devices } = targetUnderTest(start);

  function pidf(entity: string, basic: 'open' | 'closed', note?: string): string {
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${entity}">`,
      `<tuple id="t1"><status><basic>${basic}</basic></status></tuple>`,
      note === undefined ? '' : `<note>${note}</note>`,
      '</presence>',
    ].join('\n');
  }

  interface PublishOptions {
    body?: string;
    etag?: string;
    expires?: number;
    event?: string;
    contentType?: string;
  }

  /** A PUBLISH of the device's own presence (Request-URI: its AOR, the presentity). */
  function publish(client: SipClient, options: PublishOptions): Promise<SipResponse> {
    const headers: [string, string][] = [['Event', options.event ?? 'presence']];
    if (options.expires !== undefined) headers.push(['Expires', String(options.expires)]);
    if (options.etag !== undefined) headers.push(['SIP-If-Match', options.etag]);
    if (options.body !== undefined) headers.push(['Content-Type', options.contentType ?? PIDF_CONTENT_TYPE]);
    return client.request('PUBLISH', {
      uri: client.aor,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
    });
  }

  /** The SIP-ETag of a 200 to PUBLISH. */
  function etagOf(response: SipResponse): string {
    expectStatus(response, 200);
    const etag = response.headers.get('SIP-ETag');
    if (etag === undefined) throw new Error('200 to PUBLISH without SIP-ETag');
    return etag;
  }

  /**
   * A JSON client of `watcher` holding `watched` as an accepted buddy. `watched` accepts from a
   * JSON device that then logs out and unregisters, so afterwards only plain devices count for it.
   */
  async function watcherOf(
    watched: string,
    protocol: ClientProtocol,
  ): Promise<{ watcher: SipClient; watchedAor: string }> {
    const watcher = await devices.loggedIn(await devices.account('watcher'), protocol, 'INFO');
    const json = await devices.loggedIn(watched, protocol, 'MESSAGE');
    await commandResult(watcher, { type: 'roster.add', uri: json.aor }, 'INFO');
    await pushOf(json, 'buddy.request', { from: watcher.aor });
    await commandResult(json, { type: 'buddy.answer', from: watcher.aor, accept: true }, 'MESSAGE');
    await pushOf(watcher, 'presence', { uri: json.aor, status: 'online' });
    const before = watcher.pushes.length;
    await commandResult(json, { type: 'logout' }, 'MESSAGE');
    expectStatus(await json.unregister(), 200);
    await pushOf(watcher, 'presence', { uri: json.aor, status: 'offline' }, before);
    return { watcher, watchedAor: json.aor };
  }

  /** Waits for the watcher's next presence push about `aor` from now on and returns it. */
  function nextPresence(
    watcher: SipClient,
    aor: string,
    fields: Record<string, unknown>,
    timeoutMs?: number,
  ) {
    const from = watcher.pushes.length;
    return {
      arrived: () =>
        watcher.waitForPush(
          (push) =>
            push.envelope?.type === 'presence' &&
            push.envelope['uri'] === aor &&
            Object.entries(fields).every(([name, value]) => push.envelope?.[name] === value),
          timeoutMs,
          from,
        ),
    };
  }

  describe('plain SIP devices (protocol.md §7)', () => {
    it('shows a REGISTER-only device online to JSON watchers, offline after its unREGISTER (UDP)', async () => {
      const bob = await devices.account('bob');
      const { watcher, watchedAor } = await watcherOf(bob, 'udp');
      const online = nextPresence(watcher, watchedAor, { status: 'online' });
      const phone = await devices.registered(bob, 'udp');
      await online.arrived();
      const offline = nextPresence(watcher, watchedAor, { status: 'offline' });
      expectStatus(await phone.unregister(), 200);
      await offline.arrived();
    });

    it('shows a REGISTER-only device offline once its registration expires (TCP)', async () => {
      const bob = await devices.account('bob');
      const { watcher, watchedAor } = await watcherOf(bob, 'tcp');
      const online = nextPresence(watcher, watchedAor, { status: 'online' });
      const phone = await devices.device(bob, 'tcp');
      expectStatus(await phone.register({ expires: MIN_EXPIRES_SECONDS }), 200);
      await online.arrived();
      await nextPresence(watcher, watchedAor, { status: 'offline' }, EXPIRY_WAIT_MS).arrived();
    });

    it('delivers an IM from a JSON client as text/plain MESSAGE From the sender, and a text/plain MESSAGE back as an im push', async () => {
      const alice = await devices.loggedIn(await devices.account('alice'), 'tcp', 'INFO');
      const phone = await devices.registered(await devices.account('bob'), 'udp');

      const sent = await commandResult(
        alice,
        { type: 'im.send', to: phone.aor, text: 'hi <b>&</b> ünïcode' },
        'INFO',
      );
      expect(sent.envelope).toMatchObject({ ok: true });
      const message = await phone.waitForPush((push) => push.method === 'MESSAGE', PLAIN_DELIVERY_WAIT_MS);
      expect(message.request.contentType?.mediaType).toBe('text/plain');
      expect(message.request.bodyText).toBe('hi <b>&</b> ünïcode');
      expect(message.request.from?.uri.raw).toBe(alice.aor);
      await pushOf(alice, 'im.status', { messageId: sent.envelope?.['messageId'], state: 'delivered' });

      const reply = await phone.request('MESSAGE', {
        uri: alice.aor,
        headers: [['Content-Type', 'text/plain;charset=UTF-8']],
        body: 'hello from a softphone',
      });
      expectStatus(reply, 200);
      const im = await pushOf(alice, 'im', { from: phone.aor });
      expect(im.envelope).toMatchObject({ text: 'hello from a softphone', offline: false });
    });

    // The chaos soak's "text/plain after login.result" (seed 2026120614): a refresh held back past
    // the binding's expiry registers the device anew, and §5 counts the expiry as its logout.
    it('makes a logged-in device whose registration lapsed, and that registers again, a plain SIP device until it logs in again (UDP)', async () => {
      const alice = await devices.loggedIn(await devices.account('alice'), 'tcp', 'INFO');
      const bob = await devices.loggedIn(await devices.account('bob'), 'udp', 'INFO');
      await commandResult(alice, { type: 'roster.add', uri: bob.aor }, 'INFO');
      await pushOf(bob, 'buddy.request', { from: alice.aor });
      await commandResult(bob, { type: 'buddy.answer', from: alice.aor, accept: true }, 'INFO');
      await pushOf(alice, 'presence', { uri: bob.aor, status: 'online' });
      const imTo = async (text: string) => {
        const sent = await commandResult(alice, { type: 'im.send', to: bob.aor, text }, 'INFO');
        expect(sent.envelope).toMatchObject({ ok: true });
      };
      await imTo('while logged in');
      expect((await pushOf(bob, 'im', { text: 'while logged in' })).method).toBe('INFO');

      // A refresh to the shortest expiry, then no refresh: the binding lapses (its session ends).
      const lapsed = nextPresence(alice, bob.aor, { status: 'offline' }, EXPIRY_WAIT_MS);
      expectStatus(await bob.register({ expires: MIN_EXPIRES_SECONDS }), 200);
      await lapsed.arrived();

      // The same device registers again on the same flow: a new binding, with no login.
      const online = nextPresence(alice, bob.aor, { status: 'online' });
      expectStatus(await bob.register(), 200);
      await online.arrived();
      await imTo('after the lapse');
      const plain = await bob.waitForPush(
        (push) => push.method === 'MESSAGE' && push.request.bodyText === 'after the lapse',
        PLAIN_DELIVERY_WAIT_MS,
      );
      expect(plain.request.contentType?.mediaType).toBe('text/plain');
      expect(plain.envelope).toBeUndefined();

      const login = await commandResult(bob, { type: 'login', status: 'online' }, 'INFO');
      expect(login.envelope).toMatchObject({ ok: true });
      await imTo('logged in again');
      expect((await pushOf(bob, 'im', { text: 'logged in again' })).method).toBe('INFO');
    });
  });

  describe('presence PUBLISH (RFC 3903, protocol.md §7)', () => {
    it('creates, refreshes, modifies and removes a publication over UDP; an old entity-tag gets 412', async () => {
      const bob = await devices.account('bob');
      const { watcher, watchedAor } = await watcherOf(bob, 'udp');
      const online = nextPresence(watcher, watchedAor, { status: 'online' });
      const phone = await devices.registered(bob, 'udp');
      await online.arrived();

      // Initial: closed with a note shows the user offline.
      const offline = nextPresence(watcher, watchedAor, { status: 'offline' });
      const created = await publish(phone, { body: pidf(phone.aor, 'closed', 'in a meeting'), expires: 600 });
      const first = etagOf(created);
      expect(created.headers.get('Expires')).toBe('600');
      await offline.arrived();

      // Refresh: no body, same state, a new entity-tag; the old one is spent.
      const refreshed = await publish(phone, { etag: first, expires: 600 });
      const second = etagOf(refreshed);
      expect(second).not.toBe(first);
      const stale = await publish(phone, { etag: first, expires: 600 });
      expectStatus(stale, 412);

      // Modify: If-Match with a body; open with a note shows online with that note.
      const modified = nextPresence(watcher, watchedAor, { status: 'online', note: 'back at my desk' });
      const third = etagOf(
        await publish(phone, {
          etag: second,
          body: pidf(`pres:${bob}@${target().domain}`, 'open', 'back at my desk'),
          expires: 600,
        }),
      );
      await modified.arrived();

      // Remove: Expires 0 reverts to what the device is without it (a plain device: online, no note).
      const removedShown = nextPresence(watcher, watchedAor, { status: 'online' });
      const removed = await publish(phone, { etag: third, expires: 0 });
      expectStatus(removed, 200);
      expect(removed.headers.get('Expires')).toBe('0');
      expect((await removedShown.arrived()).envelope?.['note']).toBeUndefined();
      expectStatus(await publish(phone, { etag: third, expires: 600 }), 412);
    });

    it('reverts the published status when the publication expires (TCP)', async () => {
      const bob = await devices.account('bob');
      const { watcher, watchedAor } = await watcherOf(bob, 'tcp');
      const online = nextPresence(watcher, watchedAor, { status: 'online' });
      const phone = await devices.registered(bob, 'tcp');
      await online.arrived();
      const offline = nextPresence(watcher, watchedAor, { status: 'offline' });
      const created = await publish(phone, { body: pidf(phone.aor, 'closed'), expires: MIN_EXPIRES_SECONDS });
      expect(created.headers.get('Expires')).toBe(String(MIN_EXPIRES_SECONDS));
      const etag = etagOf(created);
      await offline.arrived();
      await nextPresence(watcher, watchedAor, { status: 'online' }, EXPIRY_WAIT_MS).arrived();
      expectStatus(await publish(phone, { etag, expires: 600 }), 412);
    });

    it('refuses what RFC 3903 refuses before any state changes (TCP)', async () => {
      const phone = await devices.registered(await devices.account('bob'), 'tcp');
      const body = pidf(phone.aor, 'open');

      const badEvent = await publish(phone, { body, event: 'dialog' });
      expectStatus(badEvent, 489);
      expect(badEvent.headers.get('Allow-Events')).toBe('presence');

      const badType = await publish(phone, { body: 'open', contentType: 'text/plain' });
      expectStatus(badType, 415);
      expect(badType.headers.get('Accept')).toBe(PIDF_CONTENT_TYPE);

      const malformed = await publish(phone, { body: body.replace('</presence>', '') });
      expectStatus(malformed, 400);
      expect(malformed.reason).toBe('Bad Request (PIDF: not well-formed XML: 5:0: unclosed tag: presence)');

      const badBasic = await publish(phone, { body: body.replace('>open<', '>busy<') });
      expect(`${badBasic.status} ${badBasic.reason}`).toBe(
        '400 Bad Request (PIDF: basic is busy, not open or closed)',
      );

      const otherEntity = await publish(phone, { body: pidf(`sip:carol@${target().domain}`, 'open') });
      expect(`${otherEntity.status} ${otherEntity.reason}`).toBe(
        `400 Bad Request (PIDF entity is not ${phone.aor})`,
      );

      const tooBrief = await publish(phone, { body, expires: 1 });
      expectStatus(tooBrief, 423);
      expect(tooBrief.headers.get('Min-Expires')).toBe(String(MIN_EXPIRES_SECONDS));

      expectStatus(await publish(phone, {}), 400);
      expectStatus(await publish(phone, { etag: 'never-issued' }), 412);

      const otherPresentity = await phone.request('PUBLISH', {
        uri: `sip:carol@${target().domain}`,
        headers: [
          ['Event', 'presence'],
          ['Content-Type', PIDF_CONTENT_TYPE],
        ],
        body,
      });
      expectStatus(otherPresentity, 403);

      // Nothing above was published: the first real PUBLISH is accepted, for the default hour
      // when it names no Expires; a longer one is lowered to that (RFC 3903 §6 step 5).
      const accepted = await publish(phone, { body });
      expect(accepted.headers.get('Expires')).toBe(String(DEFAULT_PUBLICATION_SECONDS));
      const lowered = await publish(phone, {
        etag: etagOf(accepted),
        expires: DEFAULT_PUBLICATION_SECONDS * 10,
      });
      etagOf(lowered);
      expect(lowered.headers.get('Expires')).toBe(String(DEFAULT_PUBLICATION_SECONDS));
    });
  });
}
