// Interop with a softphone nobody on the team wrote (protocol.md §7): Debian's linphonec registers
// to the embedded default on 127.0.0.1 over UDP (digest SHA-256), publishes its presence, and
// exchanges text/plain MESSAGEs with a JSON client.
import { HeraldEmbedded } from '../support/herald-embedded';
import { findLinphonec, Linphone } from '../support/linphone';
import { SipClient } from '../support/sip-client';
import { commandResult, expectStatus, pushOf, uniqueUser } from './e2e-support';

const PASSWORD = 'interop-secret';
/** A cold start of the embedded default on a busy 2-core machine (build, initdb). */
const START_TIMEOUT_MS = 300_000;
const TEST_TIMEOUT_MS = 90_000;
/** linphonec start, registration, and a message through Herald, on a loaded machine. */
const SOFTPHONE_WAIT_MS = 30_000;

const linphonec = findLinphonec();
if ('missing' in linphonec) {
  console.warn(`softphone interop skipped: ${linphonec.missing}`);
}
const describeWithLinphone = 'path' in linphonec ? describe : describe.skip;

describeWithLinphone('a real softphone (linphonec) against the embedded default', () => {
  jest.setTimeout(TEST_TIMEOUT_MS);
  let embedded: HeraldEmbedded | undefined;
  const started: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    embedded = await HeraldEmbedded.start();
  }, START_TIMEOUT_MS);
  afterEach(async () => {
    await Promise.all(started.splice(0).map((thing) => thing.stop()));
  });
  afterAll(() => embedded?.stop());

  it('registers, publishes presence, and exchanges text/plain MESSAGEs with a JSON client', async () => {
    if (embedded === undefined || !('path' in linphonec))
      throw new Error('the embedded default did not start');
    const [aliceUser, bobUser] = [uniqueUser('alice'), uniqueUser('bob')];
    await embedded.createAccount(aliceUser, PASSWORD);
    await embedded.createAccount(bobUser, PASSWORD);
    const alice = await SipClient.open({
      protocol: 'tcp',
      server: embedded.address('tcp'),
      domain: embedded.domain,
      user: aliceUser,
      password: PASSWORD,
    });
    started.push({ stop: () => alice.close() });
    expectStatus(await alice.register(), 200);
    await commandResult(alice, { type: 'login', status: 'online' }, 'INFO');

    const phone = await Linphone.start(linphonec.path, {
      user: bobUser,
      password: PASSWORD,
      domain: embedded.domain,
      proxy: embedded.address('udp'),
      publish: true,
    });
    started.push(phone);
    await phone.explainFailures(async () => {
      await phone.register(SOFTPHONE_WAIT_MS);
      // Its PIDF (with RPID person data) is accepted: 200 with an entity-tag.
      const published = await phone.waitForMessage(
        (message) => /^SIP\/2\.0 200 /.test(message) && /\r\nCSeq: \d+ PUBLISH\r\n/.test(message),
        SOFTPHONE_WAIT_MS,
      );
      expect(published).toMatch(/\r\nSIP-ETag: \S+\r\n/);

      // JSON client -> softphone: a text/plain MESSAGE From alice's AOR, answered 200 (delivered).
      const sent = await commandResult(
        alice,
        { type: 'im.send', to: phone.aor, text: 'hello linphone' },
        'INFO',
      );
      const received = await phone.waitForMessage(
        (message) => message.startsWith('MESSAGE '),
        SOFTPHONE_WAIT_MS,
      );
      expect(received).toMatch(new RegExp(`\r\nFrom: <${alice.aor}>`));
      expect(received).toMatch(/\r\nContent-Type: text\/plain/i);
      expect(received).toMatch(/\r\n\r\nhello linphone/);
      await pushOf(alice, 'im.status', { messageId: sent.envelope?.['messageId'], state: 'delivered' });

      // Softphone -> JSON client: its chat message arrives as an `im` push from its AOR, and Herald
      // answered the softphone's MESSAGE with 200 OK.
      const mark = phone.log.length;
      phone.command(`chat ${alice.aor} hello herald from linphone`);
      const im = await pushOf(alice, 'im', { from: phone.aor });
      expect(im.envelope).toMatchObject({ text: 'hello herald from linphone', offline: false });
      await phone.waitForMessage(
        (message) => /^SIP\/2\.0 200 /.test(message) && /\r\nCSeq: \d+ MESSAGE\r\n/.test(message),
        SOFTPHONE_WAIT_MS,
        mark,
      );
    });
  });
});
