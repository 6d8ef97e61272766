// The end-to-end scenarios, written once and run against every way of starting Herald
// (separate apps on Kafka, the embedded default): real UDP, TCP and WebSocket on 127.0.0.1.
import { NonceIssuer, newBranch } from '#herald/sip';
import { scrapedCounter, type HeraldTarget } from '../support/herald-target';
import { waitFor } from '../support/wait-for';
import { challengeFor, HERALD_CONTENT_TYPE, type SipClient } from '../support/sip-client';
import {
  CARRIERS,
  commandId,
  commandResult,
  type Devices,
  expectStatus,
  targetUnderTest,
  PASSWORD,
  pushOf,
} from './e2e-support';

/** Older than any nonce lifetime (default 5 min), younger than anything absurd. */
const STALE_NONCE_AGE_MS = 10 * 60 * 1000;
/** protocol.md §2: the default body limit is 8 KiB. */
const OVERSIZED_BODY_BYTES = 9 * 1024;
/** Wall time the edge needs for Timer F plus the outcome, with slack for a loaded machine. */
const TIMER_F_SLACK_MS = 5_000;

/** The longest single scenario (three users, two befriendings, IMs) with slack for a loaded machine. */
const SCENARIO_TIMEOUT_MS = 90_000;

/** Registers every scenario for the target `start()` brings up (once per file). */
export function describeHeraldScenarios(start: () => Promise<HeraldTarget>): Devices {
  jest.setTimeout(SCENARIO_TIMEOUT_MS);
  const { target, devices } = targetUnderTest(start);

  describe('registration (protocol.md §1)', () => {
    it('answers REGISTER with SHA-256 then MD5 challenges and accepts a SHA-256 answer over UDP', async () => {
      const alice = await devices.device(await devices.account('alice'), 'udp');
      const challenge = await alice.sendRegister(3600);
      expectStatus(challenge, 401);
      expect(challenge.wwwAuthenticate.map((auth) => auth.params.get('algorithm'))).toEqual([
        'SHA-256',
        'MD5',
      ]);
      expect(challenge.wwwAuthenticate.every((auth) => auth.params.get('qop') === 'auth')).toBe(true);

      const ok = await alice.register({ algorithm: 'SHA-256' });
      expectStatus(ok, 200);
      expect(ok.headers.get('contact')).toContain(alice.contactUri);
      expect(ok.headers.get('contact')).toMatch(/expires=3600/);
    });

    it('accepts an MD5 answer over TCP, a refresh with the next nonce count, and removes the binding with Expires: 0', async () => {
      const alice = await devices.device(await devices.account('alice'), 'tcp', { algorithm: 'MD5' });
      expectStatus(await alice.register(), 200);
      expect(alice.lastChallenge?.algorithm).toBe('MD5');
      expectStatus(await alice.refresh(), 200);
      expect(alice.currentNonceCount).toBe(2);

      expectStatus(await alice.unregister(), 200);
      const afterUnregister = await alice.command({ v: 1, id: commandId(), type: 'login' });
      expectStatus(afterUnregister, 401);
    });

    it('refreshes over WebSocket', async () => {
      const alice = await devices.registered(await devices.account('alice'), 'ws');
      const refreshed = await alice.refresh(600);
      expectStatus(refreshed, 200);
      expect(refreshed.headers.get('contact')).toMatch(/expires=600/);
    });

    it('answers an expiry below the minimum with 423 and Min-Expires', async () => {
      const alice = await devices.device(await devices.account('alice'), 'udp');
      const tooBrief = await alice.register({ expires: target().minExpires - 1 });
      expectStatus(tooBrief, 423);
      expect(tooBrief.minExpires).toBe(target().minExpires);
    });
  });

  describe.each(CARRIERS)('a device session with %s as carrier', (carrier) => {
    it('logs in, gets login.result as the same method, sets and gets its profile, logs out, unREGISTERs', async () => {
      const user = await devices.account('alice');
      const alice = await devices.registered(user, carrier === 'INFO' ? 'udp' : 'ws');
      const login = await commandResult(alice, { type: 'login', status: 'online' }, carrier);
      expect(login.method).toBe(carrier);
      expect(login.request.headers.get('from')).toContain(`sip:${target().domain}`);
      expect(login.request.headers.get('to')).toContain(alice.aor);
      if (carrier === 'INFO') expect(login.request.headers.get('info-package')).toBe('herald');
      expect(login.envelope).toMatchObject({ type: 'login.result', ok: true, user: alice.aor });

      const settings = { theme: 'dark', sound: false };
      const set = await commandResult(
        alice,
        { type: 'profile.set', displayName: 'Alice A.', settings },
        carrier,
      );
      expect(set.envelope).toMatchObject({ ok: true });
      const fromGet = alice.pushes.length;
      const get = await commandResult(alice, { type: 'profile.get' }, carrier);
      expect(get.envelope).toMatchObject({ ok: true });
      const profile = await pushOf(alice, 'profile', {}, fromGet);
      expect(profile.envelope).toMatchObject({ displayName: 'Alice A.', settings });

      const logout = await commandResult(alice, { type: 'logout' }, carrier);
      expect(logout.envelope).toMatchObject({ type: 'logout.result', ok: true });
      expectStatus(await alice.unregister(), 200);
      expect(alice.sendErrors).toEqual([]);
    });

    it('serves a second device of the same user, which logs in separately', async () => {
      const user = await devices.account('alice');
      const first = await devices.loggedIn(user, 'udp', carrier);
      const second = await devices.loggedIn(user, 'tcp', carrier);
      const fromFirst = first.pushes.length;
      await commandResult(second, { type: 'profile.set', displayName: 'Second device' }, carrier);
      // profile.set updates the user's configuration: every logged-in device sees it.
      const seen = await pushOf(first, 'profile', { displayName: 'Second device' }, fromFirst);
      expect(seen.method).toBe(carrier);
    });
  });

  describe('bad input, each answered without storing anything', () => {
    it('wrong password: 401 again, never 200', async () => {
      const alice = await devices.device(await devices.account('alice'), 'udp');
      expectStatus(await alice.register({ password: `${PASSWORD}-wrong` }), 401);
    });

    it('stale nonce: a fresh 401 with stale=true', async () => {
      const alice = await devices.device(await devices.account('alice'), 'udp');
      expectStatus(await alice.register(), 200);
      const old = new NonceIssuer({
        secret: target().nonceSecret,
        now: () => Date.now() - STALE_NONCE_AGE_MS,
      });
      const staleChallenge = { ...alice.lastChallenge!, nonce: old.issue(target().domain) };
      const response = await alice.sendRegister(3600, alice.authorization(1, staleChallenge));
      expectStatus(response, 401);
      expect(challengeFor(response, 'SHA-256').stale).toBe(true);
    });

    it('replayed nonce count: 401, never 200', async () => {
      const alice = await devices.device(await devices.account('alice'), 'udp');
      expectStatus(await alice.register(), 200);
      const replay = await alice.sendRegister(3600, alice.authorization(alice.currentNonceCount));
      expectStatus(replay, 401);
    });

    it('a command from a flow with no registration: 401', async () => {
      const alice = await devices.device(await devices.account('alice'), 'tcp');
      expectStatus(await alice.command({ v: 1, id: commandId(), type: 'login' }), 401);
    });

    it('a From that is not the AOR registered on the flow: 403', async () => {
      const alice = await devices.registered(await devices.account('alice'), 'udp');
      const bob = await devices.account('bob');
      const spoofed = await alice.command({ v: 1, id: commandId(), type: 'login' }, 'INFO', {
        from: `sip:${bob}@${target().domain}`,
      });
      expectStatus(spoofed, 403);
    });

    it('malformed SIP: 400', async () => {
      const alice = await devices.device(await devices.account('alice'), 'udp');
      const branch = newBranch();
      await alice.sendRaw(
        `INFO sip:${target().domain} SIP/2.0\r\nVia: ${alice.viaHeader(branch)}\r\n` +
          `From: <${alice.aor}>;tag=1\r\nTo: <sip:${target().domain}>\r\nCall-ID: malformed-1\r\n` +
          'CSeq: 1 INFO\r\nMax-Forwards: many\r\nContent-Length: 0\r\n\r\n',
      );
      const response = await alice.waitUntil(
        () => alice.strayResponses.find((stray) => stray.topVia?.params.get('branch') === branch),
        10_000,
        'the answer to malformed SIP',
      );
      expect(response.status).toBe(400);
    });

    it('bad JSON: 400 with a reason naming the problem', async () => {
      const alice = await devices.registered(await devices.account('alice'), 'udp');
      const response = await alice.command({ type: 'unused' }, 'INFO', { body: '{"v":1,"id":"c-1",' });
      expectStatus(response, 400);
      expect(response.reason.toLowerCase()).toMatch(/json/);
    });

    it('wrong content type: 415', async () => {
      const alice = await devices.registered(await devices.account('alice'), 'udp');
      const response = await alice.request('INFO', {
        headers: [
          ['Content-Type', 'application/json'],
          ['Info-Package', 'herald'],
        ],
        body: JSON.stringify({ v: 1, id: commandId(), type: 'login' }),
      });
      expectStatus(response, 415);
    });

    it('oversized body: 413', async () => {
      const alice = await devices.registered(await devices.account('alice'), 'tcp');
      const response = await alice.command({
        v: 1,
        id: commandId(),
        type: 'profile.set',
        displayName: 'x'.repeat(OVERSIZED_BODY_BYTES),
      });
      expectStatus(response, 413);
    });

    it('unknown type: 200, then a result with ok false and error unknown-type', async () => {
      const alice = await devices.registered(await devices.account('alice'), 'udp');
      const result = await commandResult(alice, { type: 'no.such.command' }, 'INFO');
      expect(result.envelope).toMatchObject({
        type: 'no.such.command.result',
        ok: false,
        error: { code: 'unknown-type' },
      });
      expect(result.request.headers.get('content-type')).toBe(HERALD_CONTENT_TYPE);
    });
  });

  describe('pushes to a device that never answers', () => {
    const edgeTransactionTimeouts = (): Promise<number> =>
      scrapedCounter(target().edgeOperationsUrl(), 'herald_sip_transaction_timeouts_total');

    it('are retransmitted over UDP on the RFC 3261 schedule (T1 doubling to T2) until Timer F', async () => {
      const alice = await devices.registered(await devices.account('alice'), 'udp');
      alice.pushAnswer = 'never';
      const t1 = target().t1Ms;
      expectStatus(await alice.command({ v: 1, id: commandId(), type: 'login' }), 200);
      const timeoutsBefore = await edgeTransactionTimeouts();
      const push = await alice.waitForPush('login.result');
      // Timer F ends the push's transaction: the edge counts it, and nothing is sent after that.
      // Another transaction of the deployment (a push to a device an earlier test closed) may time
      // out first: the push's own Timer F cannot fire before 64*T1 after its first send.
      await waitFor(
        async () =>
          performance.now() - push.arrivals[0]! >= 64 * t1 &&
          (await edgeTransactionTimeouts()) > timeoutsBefore,
        64 * t1 + TIMER_F_SLACK_MS,
        "the edge's Timer F on the unanswered push",
      );

      // Timer E at T1, 3T1, 7T1 … 63T1 after the first send (T2 = 4 s is never reached at this T1),
      // Timer F at 64T1: seven sends of the same request. The exact schedule is checked with a fake
      // clock in libs/sip; here wall-clock arrival times jitter with the machine's load, so the test
      // checks what load cannot change: the number of sends, that they are one transaction, and that
      // they are spread over the doubling schedule rather than sent in a burst.
      const sendsBeforeTimerF = 7;
      expect(push.arrivals).toHaveLength(sendsBeforeTimerF);
      // Arrivals are grouped by Via branch: all seven are retransmissions of the one transaction.
      expect(alice.pushes.filter((received) => received.envelope?.type === 'login.result')).toEqual([push]);
      const spreadMs = push.arrivals.at(-1)! - push.arrivals[0]!;
      expect(spreadMs).toBeGreaterThanOrEqual(0.8 * 63 * t1);
    });
  });

  describe.each(CARRIERS)('protocol.md §6 with three users, %s as carrier', (carrier) => {
    it('roster, presence, IM delivered and stored, second device, duplicate command, logout seen as offline', async () => {
      const [aliceUser, bobUser, carolUser] = await Promise.all(
        ['alice', 'bob', 'carol'].map((label) => devices.account(label)),
      );
      const alice = await devices.loggedIn(aliceUser!, 'udp', carrier);
      const bob = await devices.loggedIn(bobUser!, 'tcp', carrier);
      const carol = await devices.loggedIn(carolUser!, 'ws', carrier);

      // roster.add -> buddy.request -> buddy.answer accept -> rosters and presence both ways.
      await befriend(alice, bob, carrier);
      await befriend(alice, carol, carrier);

      // A presence change reaches the buddy.
      let from = alice.pushes.length;
      await commandResult(bob, { type: 'presence.set', status: 'away', note: 'lunch' }, carrier);
      const away = await pushOf(alice, 'presence', { uri: bob.aor, status: 'away' }, from);
      expect(away.envelope).toMatchObject({ note: 'lunch' });
      expect(away.method).toBe(carrier);

      // A second device of bob logs in; an IM reaches both devices and is `delivered`.
      const bobPhone = await devices.loggedIn(bobUser!, 'udp', carrier);
      from = alice.pushes.length;
      const imId = commandId();
      const sent = await commandResult(
        alice,
        { id: imId, type: 'im.send', to: bob.aor, text: 'hello bob' },
        carrier,
      );
      expect(sent.envelope).toMatchObject({ ok: true });
      const messageId = sent.envelope?.['messageId'];
      expect(typeof messageId).toBe('string');
      for (const device of [bob, bobPhone]) {
        const im = await pushOf(device, 'im', { messageId });
        expect(im.envelope).toMatchObject({ from: alice.aor, text: 'hello bob', offline: false });
      }
      await pushOf(alice, 'im.status', { messageId, state: 'delivered' }, from);

      // The same command id in a new transaction is processed once: no second IM, and no second
      // result either (one result per command): its push id is the one this device already
      // answered. alice's next command, handled after it in order, shows it is through.
      const fromResend = alice.pushes.length;
      expectStatus(
        await alice.command({ v: 1, id: imId, type: 'im.send', to: bob.aor, text: 'hello bob' }, carrier),
        200,
      );
      const after = await commandResult(
        alice,
        { type: 'im.send', to: `sip:nobody-${imId}@${target().domain}`, text: 'after the re-send' },
        carrier,
      );
      expect(after.envelope?.['type']).toBe('im.send.result');
      expect(alice.pushes.slice(fromResend).filter((push) => push.envelope?.['re'] === imId)).toEqual([]);

      // An IM to a user with no device online is `stored`, then delivered at login marked offline.
      // carol leaves as protocol.md §4 says: logout, then REGISTER with Expires: 0.
      await commandResult(carol, { type: 'logout' }, carrier);
      expectStatus(await carol.unregister(), 200);
      from = alice.pushes.length;
      const toCarol = await commandResult(
        alice,
        { type: 'im.send', to: carol.aor, text: 'while you were out' },
        carrier,
      );
      const storedId = toCarol.envelope?.['messageId'];
      await pushOf(alice, 'im.status', { messageId: storedId, state: 'stored' }, from);
      const fromLogin = carol.pushes.length;
      expectStatus(await carol.register(), 200);
      await commandResult(carol, { type: 'login' }, carrier);
      const offlineIm = await pushOf(carol, 'im', { messageId: storedId }, fromLogin);
      expect(offlineIm.envelope).toMatchObject({
        from: alice.aor,
        text: 'while you were out',
        offline: true,
      });

      // bob logs out on both devices: alice sees him offline.
      from = alice.pushes.length;
      await commandResult(bob, { type: 'logout' }, carrier);
      await commandResult(bobPhone, { type: 'logout' }, carrier);
      await pushOf(alice, 'presence', { uri: bob.aor, status: 'offline' }, from);
      expect(bob.pushes.filter((push) => push.envelope?.type === 'im')).toHaveLength(1);
      expect(bobPhone.pushes.filter((push) => push.envelope?.type === 'im')).toHaveLength(1);
    });
  });

  return devices;
}

/** `requester` adds `buddy`, who accepts; both get rosters with state both and each other's presence. */
export async function befriend(
  requester: SipClient,
  buddy: SipClient,
  carrier: 'INFO' | 'MESSAGE',
): Promise<void> {
  const fromRequester = requester.pushes.length;
  const fromBuddy = buddy.pushes.length;
  await commandResult(requester, { type: 'roster.add', uri: buddy.aor }, carrier);
  await pushOf(buddy, 'buddy.request', { from: requester.aor }, fromBuddy);
  await commandResult(buddy, { type: 'buddy.answer', from: requester.aor, accept: true }, carrier);
  for (const [side, other, from] of [
    [requester, buddy, fromRequester],
    [buddy, requester, fromBuddy],
  ] as const) {
    await side.waitForPush(
      (push) =>
        push.envelope?.type === 'roster' &&
        (push.envelope['buddies'] as { uri: string; state: string }[]).some(
          (entry) => entry.uri === other.aor && entry.state === 'both',
        ),
      undefined,
      from,
    );
    await pushOf(side, 'presence', { uri: other.aor, status: 'online' }, from);
  }
}
