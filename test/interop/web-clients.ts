// The interop scenarios of the browser SIP libraries (JsSIP, SIP.js), run in Node over plain
// WebSocket against the embedded default: REGISTER with digest, the JSON envelope
// over MESSAGE both ways with a JSON client, and text/plain MESSAGE both ways with a softphone
// (linphonec). Each behaviour is asserted, then its row of docs/interop.md.
import { HeraldEmbedded } from '../support/herald-embedded';
import { expectInteropRow } from '../support/interop-matrix';
import { Linphone, requireLinphonec } from '../support/linphone';
import { HERALD_CONTENT_TYPE } from '../support/sip-client';
import type { ReceivedWebMessage, WebPhone, WebPhoneLibrary } from '../support/web-phone';
import { commandId, commandResult, PASSWORD, pushOf, targetUnderTest } from '../e2e/e2e-support';
import { waitFor } from '../support/wait-for';

const TEST_TIMEOUT_MS = 120_000;
/** A push through Herald, or a plain device's message after its login grace, on a loaded machine. */
const DELIVERY_WAIT_MS = 30_000;

/** The first envelope of `type` (with `fields`) among the MESSAGEs the library received from index `from` on. */
function envelopeOf(
  phone: WebPhone,
  type: string,
  fields: Record<string, unknown>,
  from: number,
): Record<string, unknown> | undefined {
  for (const message of phone.received.slice(from)) {
    if (message.contentType !== HERALD_CONTENT_TYPE) continue;
    const envelope = JSON.parse(message.body) as Record<string, unknown>;
    if (
      envelope['type'] === type &&
      Object.entries(fields).every(([name, value]) => envelope[name] === value)
    )
      return envelope;
  }
  return undefined;
}

async function envelopeArrives(
  phone: WebPhone,
  type: string,
  fields: Record<string, unknown> = {},
  from = 0,
) {
  await waitFor(
    () => envelopeOf(phone, type, fields, from) !== undefined,
    DELIVERY_WAIT_MS,
    `a ${type} push ${JSON.stringify(fields)} to ${phone.aor}`,
  );
  return envelopeOf(phone, type, fields, from) ?? {};
}

/** Sends a command over MESSAGE to sip:D, expects 200 and its `<type>.result` push. */
async function command(phone: WebPhone, domain: string, envelope: Record<string, unknown>) {
  const id = commandId();
  const status = await phone.message(
    `sip:${domain}`,
    JSON.stringify({ v: 1, id, ...envelope }),
    HERALD_CONTENT_TYPE,
  );
  expect(status).toBe(200);
  return envelopeArrives(phone, `${String(envelope['type'])}.result`, { re: id });
}

function textFrom(phone: WebPhone, from: string): ReceivedWebMessage | undefined {
  return phone.received.find((message) => message.from === from && /^text\/plain/i.test(message.contentType));
}

/** Registers the interop tests of one library. */
export function describeWebClient(library: WebPhoneLibrary): void {
  const { client, version } = library;

  describe(`${client} ${version} over WS against the embedded default with HERALD_DIGEST_ALGORITHMS=MD5,SHA-256`, () => {
    jest.setTimeout(TEST_TIMEOUT_MS);
    const { target, devices } = targetUnderTest(() =>
      HeraldEmbedded.start({ env: { HERALD_DIGEST_ALGORITHMS: 'MD5,SHA-256' } }),
    );
    let phone: WebPhone | undefined;
    afterEach(() => phone?.stop());

    it('keeps only the last challenge (SHA-256) and gives up', async () => {
      const herald = target();
      phone = library.open({
        server: herald.address('ws'),
        domain: herald.domain,
        user: await devices.account('alice'),
        password: PASSWORD,
      });
      // The same library and password register when MD5 is the last challenge (Herald's default).
      expect(await phone.register()).toEqual({ registered: false, status: 401 });
      expectInteropRow({
        client,
        version,
        feature: 'REGISTER with digest (HERALD_DIGEST_ALGORITHMS=MD5,SHA-256)',
        result: `fails: ${client} keeps only the last WWW-Authenticate header (its parser overwrites the earlier ones) and aborts at algorithm=SHA-256`,
      });
    });
  });

  describe(`${client} ${version} over WS against the embedded default`, () => {
    jest.setTimeout(TEST_TIMEOUT_MS);
    const { target, devices } = targetUnderTest(() => HeraldEmbedded.start());
    const phones: WebPhone[] = [];
    const softphones: Linphone[] = [];
    afterEach(async () => {
      await Promise.all([...phones.splice(0), ...softphones.splice(0)].map((phone) => phone.stop()));
    });

    async function phoneFor(label: string): Promise<WebPhone> {
      const herald = target();
      const phone = library.open({
        server: herald.address('ws'),
        domain: herald.domain,
        user: await devices.account(label),
        password: PASSWORD,
      });
      phones.push(phone);
      return phone;
    }

    it('registers, and speaks the JSON envelope over MESSAGE both ways with a JSON client', async () => {
      const phone = await phoneFor('alice');
      expect(await phone.register()).toEqual({ registered: true });
      expectInteropRow({
        client,
        version,
        feature: 'REGISTER with digest',
        result: 'pass',
      });
      const { domain } = target();

      expect(await command(phone, domain, { type: 'login', status: 'online' })).toMatchObject({
        ok: true,
        user: phone.aor,
      });
      expectInteropRow({ client, version, feature: 'JSON login over MESSAGE', result: 'pass' });

      const bob = await devices.registered(await devices.account('bob'), 'tcp');
      await commandResult(bob, { type: 'login', status: 'online' }, 'MESSAGE');
      await command(phone, domain, { type: 'roster.add', uri: bob.aor });
      await pushOf(bob, 'buddy.request', { from: phone.aor });
      await commandResult(bob, { type: 'buddy.answer', from: phone.aor, accept: true }, 'MESSAGE');
      await envelopeArrives(phone, 'presence', { uri: bob.aor, status: 'online' });
      const beforeRosterGet = phone.received.length;
      expect(await command(phone, domain, { type: 'roster.get' })).toMatchObject({ ok: true });
      const roster = await envelopeArrives(phone, 'roster', {}, beforeRosterGet);
      expect(roster['buddies']).toEqual([expect.objectContaining({ uri: bob.aor, state: 'both' })]);
      expectInteropRow({ client, version, feature: 'JSON roster.get over MESSAGE', result: 'pass' });

      // im.send from the library: bob gets the im, the library its im.status (a push it answered).
      const sent = await command(phone, domain, {
        type: 'im.send',
        to: bob.aor,
        text: `hello bob from ${client}`,
      });
      const im = await pushOf(bob, 'im', { from: phone.aor });
      expect(im.envelope).toMatchObject({ text: `hello bob from ${client}`, offline: false });
      await envelopeArrives(phone, 'im.status', { messageId: sent['messageId'], state: 'delivered' });
      expectInteropRow({ client, version, feature: 'JSON im.send over MESSAGE', result: 'pass' });

      // A push to the library: bob's im arrives as a MESSAGE the library answered 200 (delivered).
      const reply = await commandResult(
        bob,
        { type: 'im.send', to: phone.aor, text: 'hello from bob' },
        'MESSAGE',
      );
      expect(await envelopeArrives(phone, 'im', { from: bob.aor })).toMatchObject({ text: 'hello from bob' });
      await pushOf(bob, 'im.status', { messageId: reply.envelope?.['messageId'], state: 'delivered' });
      expectInteropRow({ client, version, feature: 'JSON pushes received and answered', result: 'pass' });
    });

    it('exchanges text/plain MESSAGEs with a softphone (linphonec)', async () => {
      const phone = await phoneFor('carol');
      expect(await phone.register()).toEqual({ registered: true });
      const herald = target();
      const softphone = await Linphone.start(requireLinphonec(), {
        user: await devices.account('dave'),
        password: PASSWORD,
        domain: herald.domain,
        proxy: herald.address('udp'),
      });
      softphones.push(softphone);
      await softphone.explainFailures(async () => {
        await softphone.register(DELIVERY_WAIT_MS);
        expect(await phone.message(softphone.aor, `hello linphone from ${client}`, 'text/plain')).toBe(200);
        const received = await softphone.waitForMessage(
          (message) => message.startsWith('MESSAGE '),
          DELIVERY_WAIT_MS,
        );
        expect(received).toMatch(new RegExp(`\r\nFrom: <${phone.aor}>`));
        expect(received).toMatch(new RegExp(`\r\n\r\nhello linphone from ${client}`));
        expectInteropRow({
          client,
          version,
          feature: 'text/plain MESSAGE to a softphone (Linphone)',
          result: 'pass',
        });

        softphone.command(`chat ${phone.aor} hello ${client} from linphone`);
        await waitFor(
          () => textFrom(phone, softphone.aor) !== undefined,
          DELIVERY_WAIT_MS,
          'the softphone message',
        );
        expect(textFrom(phone, softphone.aor)?.body).toBe(`hello ${client} from linphone`);
        expectInteropRow({
          client,
          version,
          feature: 'text/plain MESSAGE from a softphone (Linphone)',
          result: 'pass',
        });
      });
    });
  });
}
