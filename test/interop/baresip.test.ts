// Interop with baresip (Debian baresip-core, libre's SIP stack) over UDP on 127.0.0.1
// (protocol.md §1 and §7): which digest challenges it can answer, then, with Herald offering MD5
// alone, text/plain MESSAGEs both ways with a JSON client and presence PUBLISH and SUBSCRIBE,
// against the embedded default and against the separate apps on Kafka. Each behaviour is
// asserted, then its row of docs/interop.md.
import { commandResult, Devices, expectStatus, PASSWORD, pushOf, targetUnderTest } from '../e2e/e2e-support';
import { Baresip, baresipVersion, requireBaresip } from '../support/baresip';
import { expectMessageFromSoftphone, expectMessageToSoftphone } from './softphone-messages';
import { HeraldCluster } from '../support/herald-cluster';
import { HeraldEmbedded } from '../support/herald-embedded';
import type { HeraldTarget } from '../support/herald-target';
import { expectInteropRow } from '../support/interop-matrix';
import type { SipClient } from '../support/sip-client';

const CLIENT = 'baresip';
const TEST_TIMEOUT_MS = 120_000;
/** baresip start, registration, and a message through Herald (after a plain device's login grace), on a loaded machine. */
const SOFTPHONE_WAIT_MS = 30_000;
/** libre's digest code answers nothing but MD5, and gives up when any challenge is another algorithm. */
const MD5_ONLY = { HERALD_DIGEST_ALGORITHMS: 'MD5' };
const LIBRE_DIGEST_BUG =
  'fails: baresip 1.0 (libre) gives up (Register: Function not implemented) when any challenge is not MD5 instead of answering the MD5 one';

const baresip = requireBaresip();
const version = baresipVersion(baresip);

/** The algorithms of the Digest challenges in a 401, in the order offered. */
function offeredAlgorithms(unauthorized: string): string[] {
  return [...unauthorized.matchAll(/\r\nWWW-Authenticate: Digest [^\r\n]*algorithm=([\w-]+)/g)].map(
    (match) => match[1] ?? '',
  );
}

/** Starts baresip for `user` on `target`, in `phones` to be stopped after the test. */
async function startBaresip(target: HeraldTarget, user: string, phones: Baresip[], contacts: string[] = []) {
  const phone = await Baresip.start(baresip, {
    user,
    password: PASSWORD,
    domain: target.domain,
    proxy: target.address('udp'),
    contacts,
  });
  phones.push(phone);
  return phone;
}

/** A JSON client logged in over TCP, answering Herald's MD5 challenge (offered by every configuration). */
async function jsonClient(devices: Devices, user: string): Promise<SipClient> {
  const client = await devices.registered(user, 'tcp', { algorithm: 'MD5' });
  await commandResult(client, { type: 'login', status: 'online' }, 'INFO');
  return client;
}

/** The REGISTER rows: baresip's outcome with Herald offering `algorithms`. */
function describeRegisterWith(algorithms: string | undefined, feature: string): void {
  const setting = algorithms === undefined ? 'its defaults' : `HERALD_DIGEST_ALGORITHMS=${algorithms}`;
  describe(`baresip ${version} against the embedded default with ${setting}`, () => {
    jest.setTimeout(TEST_TIMEOUT_MS);
    const env: Record<string, string> =
      algorithms === undefined ? {} : { HERALD_DIGEST_ALGORITHMS: algorithms };
    const { target, devices } = targetUnderTest(() => HeraldEmbedded.start({ env }));
    const phones: Baresip[] = [];
    afterEach(async () => {
      await Promise.all(phones.splice(0).map((phone) => phone.stop()));
    });

    it('stops at the 401 although Herald offers an MD5 challenge', async () => {
      const phone = await startBaresip(target(), await devices.account('bob'), phones);
      await phone.explainFailures(async () => {
        const outcome = await phone.registration(SOFTPHONE_WAIT_MS);
        const unauthorized = await phone.waitForMessage(
          (message) => message.startsWith('SIP/2.0 401 ') && /\r\nCSeq: \d+ REGISTER\r\n/.test(message),
          SOFTPHONE_WAIT_MS,
        );
        // Herald offered what the setting says, MD5 among it: the client's own failure.
        expect(offeredAlgorithms(unauthorized)).toEqual((algorithms ?? 'SHA-256,MD5').split(','));
        expect(outcome).toEqual({ registered: false, error: 'Function not implemented' });
      });
      expectInteropRow({ client: CLIENT, version, feature, result: LIBRE_DIGEST_BUG });
    });
  });
}

describeRegisterWith(undefined, 'REGISTER with digest');
describeRegisterWith('MD5,SHA-256', 'REGISTER with digest (HERALD_DIGEST_ALGORITHMS=MD5,SHA-256)');

/** Everything else, with Herald offering MD5 alone. */
function describeWithMd5Only(targetName: string, start: () => Promise<HeraldTarget>): void {
  describe(`baresip ${version} against the ${targetName} with HERALD_DIGEST_ALGORITHMS=MD5`, () => {
    jest.setTimeout(TEST_TIMEOUT_MS);
    const { target, devices } = targetUnderTest(start);
    const phones: Baresip[] = [];
    afterEach(async () => {
      await Promise.all(phones.splice(0).map((phone) => phone.stop()));
    });

    it('registers, publishes and watches presence, and exchanges text/plain MESSAGEs with a JSON client', async () => {
      const [aliceUser, bobUser] = [await devices.account('alice'), await devices.account('bob')];
      // alice and bob are accepted buddies; bob's JSON device then leaves, so baresip is bob's only device.
      const alice = await jsonClient(devices, aliceUser);
      const bobJson = await jsonClient(devices, bobUser);
      await commandResult(alice, { type: 'roster.add', uri: bobJson.aor }, 'INFO');
      await pushOf(bobJson, 'buddy.request', { from: alice.aor });
      await commandResult(bobJson, { type: 'buddy.answer', from: alice.aor, accept: true }, 'INFO');
      await commandResult(bobJson, { type: 'logout' }, 'INFO');
      expectStatus(await bobJson.unregister(), 200);

      let mark = alice.pushes.length;
      const phone = await startBaresip(target(), bobUser, phones, [alice.aor]);
      await phone.explainFailures(async () => {
        expect(await phone.registration(SOFTPHONE_WAIT_MS)).toEqual({ registered: true });
        const authorized = await phone.waitForMessage(
          (message) => message.startsWith('REGISTER ') && /\r\nAuthorization: Digest /.test(message),
          SOFTPHONE_WAIT_MS,
        );
        expect(authorized).toMatch(/\r\nAuthorization: Digest [^\r\n]*qop=auth/);
        // A registered plain device counts as online for its buddies (protocol.md §7).
        await pushOf(alice, 'presence', { uri: phone.aor, status: 'online' }, mark);
        expectInteropRow({
          client: CLIENT,
          version,
          feature: 'REGISTER with digest (HERALD_DIGEST_ALGORITHMS=MD5)',
          result: 'pass',
        });

        // Loading its presence module: it PUBLISHes its first status and SUBSCRIBEs to alice.
        let log = phone.log.length;
        await phone.startPresence();
        const firstPublish = await phone.waitForMessage(
          (message) => message.startsWith('PUBLISH ') && /<basic>/.test(message),
          SOFTPHONE_WAIT_MS,
          log,
        );
        expect(firstPublish).toMatch(/<basic>unknown<\/basic>/);
        await phone.waitForMessage(
          (message) =>
            /^SIP\/2\.0 400 [^\r\n]*basic/.test(message) && /\r\nCSeq: \d+ PUBLISH\r\n/.test(message),
          SOFTPHONE_WAIT_MS,
          log,
        );
        expectInteropRow({
          client: CLIENT,
          version,
          feature: 'PUBLISH presence at start',
          result:
            'fails: baresip 1.0 publishes <basic>unknown</basic>, which RFC 3863 does not allow (Herald answers 400)',
        });
        // Herald NOTIFYs alice's presence (she is online): baresip shows her Online.
        await phone.waitForContactPresence(alice.aor, 'Online', SOFTPHONE_WAIT_MS);

        // Its status set by hand is PUBLISHed (closed, then open), accepted with an entity-tag,
        // and alice sees it.
        mark = alice.pushes.length;
        log = phone.log.length;
        await phone.command('presence_offline');
        const closed = await phone.waitForMessage(
          (message) => /^SIP\/2\.0 200 /.test(message) && /\r\nCSeq: \d+ PUBLISH\r\n/.test(message),
          SOFTPHONE_WAIT_MS,
          log,
        );
        expect(closed).toMatch(/\r\nSIP-ETag: \S+\r\n/);
        await pushOf(alice, 'presence', { uri: phone.aor, status: 'offline' }, mark);
        mark = alice.pushes.length;
        await phone.command('presence_online');
        await pushOf(alice, 'presence', { uri: phone.aor, status: 'online' }, mark);
        expectInteropRow({ client: CLIENT, version, feature: 'PUBLISH presence', result: 'pass' });

        await expectMessageToSoftphone(alice, phone, 'hello baresip');
        expectInteropRow({
          client: CLIENT,
          version,
          feature: 'text/plain MESSAGE from a JSON client',
          result: 'pass',
        });

        // To its current contact: alice.
        await expectMessageFromSoftphone(alice, phone, 'hello herald from baresip', () =>
          phone.command('message', 'hello herald from baresip'),
        );
        expectInteropRow({
          client: CLIENT,
          version,
          feature: 'text/plain MESSAGE to a JSON client',
          result: 'pass',
        });

        // alice logs out: the NOTIFY that follows shows her Offline in baresip.
        await commandResult(alice, { type: 'logout' }, 'INFO');
        await phone.waitForContactPresence(alice.aor, 'Offline', SOFTPHONE_WAIT_MS);
        expectInteropRow({
          client: CLIENT,
          version,
          feature: 'SUBSCRIBE presence of a buddy',
          result: 'pass',
        });
      });
    });
  });
}

describeWithMd5Only('embedded default', () => HeraldEmbedded.start({ env: MD5_ONLY }));
describeWithMd5Only('separate apps on Kafka', () => HeraldCluster.start({ env: MD5_ONLY }));
