// protocol.md §7 SUBSCRIBE/NOTIFY presence, as an off-the-shelf SIP client sees it: written once,
// run against each way of starting Herald, over real UDP and TCP on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import type { SipResponse } from '#herald/sip';
import { commandResult, expectStatus, pushOf, targetUnderTest } from '../e2e/e2e-support';
import type { HeraldTarget } from '../support/herald-target';
import type { ClientProtocol, ReceivedPush, SipClient } from '../support/sip-client';

/** One scenario (befriending, subscribing, several NOTIFYs) with slack for a loaded machine. */
const SCENARIO_TIMEOUT_MS = 90_000;
/** HERALD_MIN_EXPIRES of the target: a subscription this short expires within the test. */
export const SHORT_MIN_EXPIRES = 2;
/** Longer than the expiry sweep interval (1 s) after a SHORT_MIN_EXPIRES subscription ends, with slack. */
const EXPIRY_WAIT_MS = 20_000;
const PIDF = 'application/pidf+xml';
/** Timer F (64 * T1) of the unanswered NOTIFY, its outcome, and slack for a loaded machine. */
const NOTIFY_TIMEOUT_WAIT_MS = 30_000;
const POLL_INTERVAL_MS = 500;

/** A subscription dialog as the subscriber keeps it (RFC 6665 §4.1.2). */
interface Dialog {
  callId: string;
  target: string;
  /** Herald's tag, from the 2xx. */
  toTag: string;
}

function subscribeHeaders(client: SipClient, expires: number, event = 'presence'): [string, string][] {
  return [
    ['Event', event],
    ['Accept', PIDF],
    ['Contact', `<${client.contactUri}>`],
    ['Expires', String(expires)],
  ];
}

/** An initial SUBSCRIBE to `target`'s presence; resolves with the response and, on 2xx, the dialog. */
async function subscribe(
  client: SipClient,
  target: string,
  expires: number,
  event = 'presence',
): Promise<{ response: SipResponse; dialog: Dialog }> {
  const callId = `${randomUUID()}@simple-test`;
  const response = await client.request('SUBSCRIBE', {
    uri: target,
    to: `<${target}>`,
    callId,
    headers: subscribeHeaders(client, expires, event),
  });
  return { response, dialog: { callId, target, toTag: response.to?.tag ?? '' } };
}

/** An in-dialog SUBSCRIBE (refresh, or Expires 0 to unsubscribe). */
function resubscribe(client: SipClient, dialog: Dialog, expires: number): Promise<SipResponse> {
  return client.request('SUBSCRIBE', {
    uri: dialog.target,
    to: `<${dialog.target}>;tag=${dialog.toTag}`,
    callId: dialog.callId,
    headers: subscribeHeaders(client, expires),
  });
}

/** The next NOTIFY of `dialog` from index `from` on that matches `state` (a Subscription-State prefix). */
function notifyOf(client: SipClient, dialog: Dialog, state: string, from = 0, timeoutMs?: number) {
  return client.waitForPush(
    (push) =>
      push.method === 'NOTIFY' &&
      push.request.callId === dialog.callId &&
      (push.request.headers.get('Subscription-State') ?? '').startsWith(state),
    timeoutMs,
    from,
  );
}

/** The basic status and note of a PIDF body (RFC 3863), read with patterns: the test checks the text Herald wrote. */
function pidfOf(push: ReceivedPush): { entity?: string; basic?: string; note?: string } {
  const body = push.request.bodyText;
  return {
    entity: /<presence [^>]*entity="([^"]*)"/.exec(body)?.[1],
    basic: /<basic>([^<]*)<\/basic>/.exec(body)?.[1],
    note: /<note>([^<]*)<\/note>/.exec(body)?.[1],
  };
}

/** Refreshes every POLL_INTERVAL_MS until the answer is 481 or NOTIFY_TIMEOUT_WAIT_MS passed; the last status. */
async function refreshUntilRefused(client: SipClient, dialog: Dialog): Promise<number> {
  const deadline = Date.now() + NOTIFY_TIMEOUT_WAIT_MS;
  for (;;) {
    const { status } = await resubscribe(client, dialog, 600);
    if (status === 481 || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

export function describeSimpleSubscriptions(start: () => Promise<HeraldTarget>): void {
  jest.setTimeout(SCENARIO_TIMEOUT_MS);
  const { target, devices } = targetUnderTest(start);

  /** `watcher` and `watched` become accepted buddies through their logged-in JSON devices. */
  async function befriend(watcher: string, watched: string): Promise<{ watchedDevice: SipClient }> {
    const watcherDevice = await devices.loggedIn(watcher, 'tcp', 'INFO');
    const watchedDevice = await devices.loggedIn(watched, 'tcp', 'INFO');
    const from = watchedDevice.pushes.length;
    await commandResult(watcherDevice, { type: 'roster.add', uri: watchedDevice.aor }, 'INFO');
    await pushOf(watchedDevice, 'buddy.request', { from: watcherDevice.aor }, from);
    const answered = await commandResult(
      watchedDevice,
      { type: 'buddy.answer', from: watcherDevice.aor, accept: true },
      'INFO',
    );
    expect(answered.envelope).toMatchObject({ ok: true });
    return { watchedDevice };
  }

  describe.each<ClientProtocol>(['udp', 'tcp'])(
    'SUBSCRIBE/NOTIFY presence over %s (protocol.md §7)',
    (protocol) => {
      it('subscribes to an accepted buddy: 200 with a To tag, NOTIFY open now and at each change, terminated after Expires 0', async () => {
        const alice = await devices.account('alice');
        const bob = await devices.account('bob');
        const { watchedDevice: bobDevice } = await befriend(alice, bob);
        const phone = await devices.registered(alice, protocol);

        const { response, dialog } = await subscribe(phone, bobDevice.aor, 600);
        expectStatus(response, 200);
        expect(dialog.toTag).not.toBe('');
        expect(response.expires).toBe(600);
        const first = await notifyOf(phone, dialog, 'active');
        const notify = first.request;
        expect(notify.from?.uri.raw).toBe(bobDevice.aor);
        expect(notify.from?.tag).toBe(dialog.toTag);
        expect(notify.to?.uri.raw).toBe(phone.aor);
        expect(notify.event?.value).toBe('presence');
        expect(notify.contentType?.mediaType).toBe(PIDF);
        expect(notify.headers.get('Subscription-State')).toBe('active;expires=600');
        expect(pidfOf(first)).toEqual({ entity: bobDevice.aor, basic: 'open', note: undefined });

        // Bob's presence changes: a NOTIFY with the new state, in the same dialog with a higher CSeq.
        const from = phone.pushes.length;
        await commandResult(
          bobDevice,
          { type: 'presence.set', status: 'away', note: 'lunch & "coffee"' },
          'INFO',
        );
        const away = await notifyOf(phone, dialog, 'active', from);
        expect(pidfOf(away)).toEqual({
          entity: bobDevice.aor,
          basic: 'open',
          note: 'lunch &amp; &quot;coffee&quot;',
        });
        expect(away.request.cseq?.seq).toBeGreaterThan(notify.cseq?.seq ?? Infinity);
        const hidden = phone.pushes.length;
        await commandResult(bobDevice, { type: 'presence.set', status: 'invisible' }, 'INFO');
        expect(pidfOf(await notifyOf(phone, dialog, 'active', hidden))).toMatchObject({ basic: 'closed' });

        // A refresh extends and NOTIFYs again; Expires 0 ends with a final NOTIFY terminated.
        const refreshed = phone.pushes.length;
        const refresh = await resubscribe(phone, dialog, 900);
        expectStatus(refresh, 200);
        expect(refresh.expires).toBe(900);
        expect(refresh.to?.tag).toBe(dialog.toTag);
        await notifyOf(phone, dialog, 'active', refreshed);
        const ending = phone.pushes.length;
        expectStatus(await resubscribe(phone, dialog, 0), 200);
        const final = await notifyOf(phone, dialog, 'terminated', ending);
        expect(final.request.headers.get('Subscription-State')).toBe('terminated;reason=timeout');
        // Over: a change reaches no one, and a refresh finds no subscription.
        const after = phone.pushes.length;
        await commandResult(bobDevice, { type: 'presence.set', status: 'online' }, 'INFO');
        expectStatus(await resubscribe(phone, dialog, 600), 481);
        expect(phone.pushes.slice(after).filter((push) => push.method === 'NOTIFY')).toEqual([]);
      });

      it('refuses a subscriber who is not an accepted buddy (403), an unknown event package (489), a too short expiry (423)', async () => {
        const carol = await devices.account('carol');
        const dave = await devices.account('dave');
        await devices.loggedIn(dave, 'tcp', 'INFO');
        const phone = await devices.registered(carol, protocol);
        const daveAor = `sip:${dave}@${target().domain}`;

        expectStatus((await subscribe(phone, daveAor, 600)).response, 403);
        const other = (await subscribe(phone, daveAor, 600, 'dialog')).response;
        expectStatus(other, 489);
        expect(other.headers.get('Allow-Events')).toBe('presence');
        const brief = (await subscribe(phone, daveAor, SHORT_MIN_EXPIRES - 1)).response;
        expectStatus(brief, 423);
        expect(brief.minExpires).toBe(SHORT_MIN_EXPIRES);
        expect(phone.pushes.filter((push) => push.method === 'NOTIFY')).toEqual([]);
      });

      it('ends the subscription when the subscriber never answers a NOTIFY (Timer F)', async () => {
        const gina = await devices.account('gina');
        const hank = await devices.account('hank');
        const { watchedDevice: hankDevice } = await befriend(gina, hank);
        const phone = await devices.registered(gina, protocol);
        const { response, dialog } = await subscribe(phone, hankDevice.aor, 600);
        expectStatus(response, 200);
        await notifyOf(phone, dialog, 'active');

        phone.pushAnswer = 'never';
        const from = phone.pushes.length;
        await commandResult(hankDevice, { type: 'presence.set', status: 'busy' }, 'INFO');
        await notifyOf(phone, dialog, 'active', from);
        // RFC 6665 §4.2.2: the NOTIFY timed out, so the subscription is gone; a refresh finds nothing.
        expect(await refreshUntilRefused(phone, dialog)).toBe(481);
      });

      it('ends the subscription with NOTIFY terminated;reason=rejected when the buddy removes the subscriber', async () => {
        const ivan = await devices.account('ivan');
        const judy = await devices.account('judy');
        const { watchedDevice: judyDevice } = await befriend(ivan, judy);
        const phone = await devices.registered(ivan, protocol);
        const { response, dialog } = await subscribe(phone, judyDevice.aor, 600);
        expectStatus(response, 200);
        await notifyOf(phone, dialog, 'active');

        const from = phone.pushes.length;
        await commandResult(judyDevice, { type: 'roster.remove', uri: phone.aor }, 'INFO');
        const final = await notifyOf(phone, dialog, 'terminated', from);
        expect(final.request.headers.get('Subscription-State')).toBe('terminated;reason=rejected');
        expect(pidfOf(final)).toMatchObject({ basic: 'closed' });
        expectStatus(await resubscribe(phone, dialog, 600), 481);
        expectStatus((await subscribe(phone, judyDevice.aor, 600)).response, 403);
      });

      it('ends an expired subscription with a final NOTIFY terminated', async () => {
        const erin = await devices.account('erin');
        const frank = await devices.account('frank');
        const { watchedDevice: frankDevice } = await befriend(erin, frank);
        const phone = await devices.registered(erin, protocol);

        const { response, dialog } = await subscribe(phone, frankDevice.aor, SHORT_MIN_EXPIRES);
        expectStatus(response, 200);
        expect(response.expires).toBe(SHORT_MIN_EXPIRES);
        await notifyOf(phone, dialog, 'active');
        const final = await notifyOf(phone, dialog, 'terminated', 0, EXPIRY_WAIT_MS);
        expect(final.request.headers.get('Subscription-State')).toBe('terminated;reason=timeout');
        expect(pidfOf(final)).toMatchObject({ entity: frankDevice.aor, basic: 'open' });
        expectStatus(await resubscribe(phone, dialog, 600), 481);
      });
    },
  );
}
