// Interop with a softphone nobody on the team wrote (protocol.md §7): Debian's linphonec registers
// over UDP on 127.0.0.1 (digest), publishes its presence, and exchanges text/plain MESSAGEs with
// a JSON client, against the embedded default and against the separate apps on Kafka. Each
// behaviour is asserted, then its row of docs/interop.md.
import { commandResult, PASSWORD, targetUnderTest } from '../e2e/e2e-support';
import { HeraldCluster } from '../support/herald-cluster';
import { HeraldEmbedded } from '../support/herald-embedded';
import type { HeraldTarget } from '../support/herald-target';
import { expectInteropRow } from '../support/interop-matrix';
import { Linphone, linphonecVersion, requireLinphonec } from '../support/linphone';
import { expectMessageFromSoftphone, expectMessageToSoftphone } from './softphone-messages';

const CLIENT = 'Linphone';
const TEST_TIMEOUT_MS = 90_000;
/** linphonec start, registration, and a message through Herald (after a plain device's login grace), on a loaded machine. */
const SOFTPHONE_WAIT_MS = 30_000;

const linphonec = requireLinphonec();
const version = linphonecVersion(linphonec);

function describeLinphone(targetName: string, start: () => Promise<HeraldTarget>): void {
  describe(`linphonec ${version} against the ${targetName}`, () => {
    jest.setTimeout(TEST_TIMEOUT_MS);
    const { target, devices } = targetUnderTest(start);
    const phones: Linphone[] = [];
    afterEach(async () => {
      await Promise.all(phones.splice(0).map((phone) => phone.stop()));
    });

    it('registers with digest, publishes presence, and exchanges text/plain MESSAGEs with a JSON client', async () => {
      const [aliceUser, bobUser] = [await devices.account('alice'), await devices.account('bob')];
      const alice = await devices.registered(aliceUser, 'tcp');
      await commandResult(alice, { type: 'login', status: 'online' }, 'INFO');

      const herald = target();
      const phone = await Linphone.start(linphonec, {
        user: bobUser,
        password: PASSWORD,
        domain: herald.domain,
        proxy: herald.address('udp'),
        publish: true,
      });
      phones.push(phone);
      await phone.explainFailures(async () => {
        await phone.register(SOFTPHONE_WAIT_MS);
        // It answered the first challenge Herald offers (SHA-256) and got 200.
        const authorized = await phone.waitForMessage(
          (message) => message.startsWith('REGISTER ') && /\r\nAuthorization: +Digest /.test(message),
          SOFTPHONE_WAIT_MS,
        );
        expect(authorized).toMatch(/\r\nAuthorization: +Digest [^\r\n]*algorithm=SHA-256/);
        expectInteropRow({
          client: CLIENT,
          version,
          feature: 'REGISTER with SHA-256 digest',
          result: 'pass',
        });

        // Its PIDF (with RPID person data) is accepted: 200 with an entity-tag.
        const published = await phone.waitForMessage(
          (message) => /^SIP\/2\.0 200 /.test(message) && /\r\nCSeq: \d+ PUBLISH\r\n/.test(message),
          SOFTPHONE_WAIT_MS,
        );
        expect(published).toMatch(/\r\nSIP-ETag: \S+\r\n/);
        expectInteropRow({ client: CLIENT, version, feature: 'PUBLISH presence', result: 'pass' });

        await expectMessageToSoftphone(alice, phone, 'hello linphone');
        expectInteropRow({
          client: CLIENT,
          version,
          feature: 'text/plain MESSAGE from a JSON client',
          result: 'pass',
        });

        await expectMessageFromSoftphone(alice, phone, 'hello herald from linphone', async () =>
          phone.command(`chat ${alice.aor} hello herald from linphone`),
        );
        expectInteropRow({
          client: CLIENT,
          version,
          feature: 'text/plain MESSAGE to a JSON client',
          result: 'pass',
        });
      });
    });
  });
}

describeLinphone('embedded default', () => HeraldEmbedded.start());
describeLinphone('separate apps on Kafka', () => HeraldCluster.start());
