// The interop matrix's SIPp rows (docs/interop.md): Debian's SIPp over real UDP against the
// embedded default and against the separate apps on Kafka. SIPp answers only the first challenge
// of a 401 and hashes only MD5, so each target offers MD5 first (HERALD_DIGEST_ALGORITHMS).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseDigestAuthorization, SipRequest, SipResponse } from '#herald/sip';
import { CARRIERS, commandResult, PASSWORD, pushOf, targetUnderTest } from '../e2e/e2e-support';
import { HeraldCluster } from '../support/herald-cluster';
import { HeraldEmbedded } from '../support/herald-embedded';
import type { HeraldTarget } from '../support/herald-target';
import { expectInteropRow } from '../support/interop-matrix';
import type { Carrier, SipClient } from '../support/sip-client';
import { expectExitedZero, freeUdpPort, workDirectoryPerTest } from './client-binary';
import {
  carrierScenario,
  requireSipp,
  runSipp,
  SIPP_BENCH_SCENARIOS,
  SIPP_CLIENT,
  SIPP_TEST_SCENARIOS,
  type SippRun,
  sippUserFile,
  sippVersion,
} from './sipp';

/** SIPp runs of up to a minute each (its own -timeout) on a loaded machine. */
jest.setTimeout(120_000);

const sipp = requireSipp();
const version = sippVersion(sipp);

const FEATURE = {
  register: 'REGISTER with MD5 digest',
  envelope: (carrier: Carrier) => `${carrier} carrying the JSON envelope (login, roster.get)`,
  pushes: 'UAS answering pushes (command results, im) with 200 OK',
  defaultOrder: 'REGISTER with the default challenges (SHA-256, then MD5)',
  softphoneContact: 'REGISTER with Contact +sip.instance, reg-id, transport=, ob (kept, listed in the 200)',
} as const;

/** RFC 7616 §3.7 / RFC 8760 §2.4: a client takes the first challenge whose algorithm it supports. */
const SIPP_DEFAULT_ORDER =
  'fails: SIPp bug: answers only the first challenge ("authentication must use MD5 or AKAv1-MD5") instead of the MD5 one; needs MD5 first';

describeSipp('the embedded default', ['MD5', 'SHA-256'], (env) => HeraldEmbedded.start({ env }));
describeSipp('the separate apps on Kafka', ['MD5'], (env) => HeraldCluster.start({ env }));
describe(`SIPp ${version} against the embedded default with HERALD_DIGEST_ALGORITHMS unset (SHA-256,MD5)`, () => {
  const { target, devices } = targetUnderTest(() => HeraldEmbedded.start());
  const workDirectory = workDirectoryPerTest('herald-sipp-');

  it('gives up at the SHA-256 challenge offered first instead of answering the MD5 one after it', async () => {
    const run = await sippRegister(target(), workDirectory(), await devices.account('sipp'));
    expect(run.exitCode).not.toBe(0);
    expect(responseOf(run, 401)?.wwwAuthenticate.map((c) => c.params.get('algorithm'))).toEqual([
      'SHA-256',
      'MD5',
    ]);
    expect(run.messages.filter((m) => m.direction === 'sent')).toHaveLength(1);
    expect(run.output).toContain('authentication must use MD5 or AKAv1-MD5');
    expectInteropRow({
      client: SIPP_CLIENT,
      version,
      feature: FEATURE.defaultOrder,
      result: SIPP_DEFAULT_ORDER,
    });
  });
});

/** SIPp's bench REGISTER scenario for `user`: REGISTER, 401, REGISTER with MD5 credentials, 200. */
async function sippRegister(target: HeraldTarget, work: string, user: string): Promise<SippRun> {
  return runSipp(sipp, {
    server: target.address('udp'),
    domain: target.domain,
    scenario: join(SIPP_BENCH_SCENARIOS, 'register.xml'),
    localPort: await freeUdpPort(),
    work,
    args: ['-inf', await sippUserFile(work, user, PASSWORD)],
  });
}

/** The first response of `status` SIPp received. */
function responseOf(run: SippRun, status: number): SipResponse | undefined {
  return run.messages
    .map((m) => m.message)
    .find((m): m is SipResponse => m instanceof SipResponse && m.status === status);
}

function describeSipp(
  name: string,
  algorithms: readonly ('MD5' | 'SHA-256')[],
  start: (env: Record<string, string>) => Promise<HeraldTarget>,
): void {
  const setting = algorithms.join(',');
  describe(`SIPp ${version} against ${name} with HERALD_DIGEST_ALGORITHMS=${setting}`, () => {
    const { target, devices } = targetUnderTest(() => start({ HERALD_DIGEST_ALGORITHMS: setting }));
    const workDirectory = workDirectoryPerTest('herald-sipp-');

    /** A JSON client of the test suite, registered with MD5 (offered on every target here) and logged in. */
    async function jsonClient(label: string): Promise<SipClient> {
      const client = await devices.registered(await devices.account(label), 'udp', { algorithm: 'MD5' });
      const login = await commandResult(client, { type: 'login', status: 'online' }, 'INFO');
      expect(login.envelope).toMatchObject({ ok: true });
      return client;
    }

    it('REGISTERs answering the MD5 challenge, which is offered first', async () => {
      const run = await sippRegister(target(), workDirectory(), await devices.account('sipp'));
      expectExitedZero(run);
      expect(responseOf(run, 401)?.wwwAuthenticate.map((c) => c.params.get('algorithm'))).toEqual(algorithms);
      const authorized = run.messages
        .map((m) => m.message)
        .find((m): m is SipRequest => m instanceof SipRequest && m.headers.has('Authorization'));
      expect(parseDigestAuthorization(authorized?.headers.get('Authorization') ?? '').algorithm).toBe('MD5');
      expect(responseOf(run, 200)?.contact).toMatchObject({ wildcard: false, contacts: [{ expires: 3600 }] });
      expectInteropRow({ client: SIPP_CLIENT, version, feature: FEATURE.register, result: 'pass' });
    });

    it('keeps the Contact parameters softphones send (+sip.instance, reg-id, transport=, ob)', async () => {
      const user = await devices.account('sipp');
      const instance = randomUUID();
      const localPort = await freeUdpPort();
      const run = await runSipp(sipp, {
        server: target().address('udp'),
        domain: target().domain,
        scenario: join(SIPP_TEST_SCENARIOS, 'softphone-register.xml'),
        localPort,
        work: workDirectory(),
        args: ['-inf', await sippUserFile(workDirectory(), user, PASSWORD), '-key', 'instance', instance],
      });
      expectExitedZero(run);
      const binding = `<sip:${user}@127.0.0.1:${localPort};transport=udp;ob>;+sip.instance="<urn:uuid:${instance}>";reg-id=1`;
      expect(responseOf(run, 200)?.headers.getAll('Contact')).toEqual([`${binding};expires=3600`]);
      // Stored with the binding: another device of the user sees it listed so in its own 200.
      const other = await devices.device(user, 'udp', { algorithm: 'MD5' });
      const response = await other.register();
      expect(response.status).toBe(200);
      const listed = response.headers
        .getAll('Contact')
        .filter((contact) => contact.startsWith(`${binding};expires=`));
      expect(listed).toHaveLength(1);
      expectInteropRow({ client: SIPP_CLIENT, version, feature: FEATURE.softphoneContact, result: 'pass' });
    });

    it.each(CARRIERS)(
      'logs in and asks for its roster with %s, answers every push 200 and gets an IM stored for it',
      async (carrier) => {
        const user = await devices.account('sipp');
        const aor = `sip:${user}@${target().domain}`;
        const bob = await jsonClient('bob');
        // Sent before SIPp's device exists: stored, then pushed to it at its login (protocol.md §4).
        const sent = await commandResult(bob, { type: 'im.send', to: aor, text: 'hello SIPp' }, 'INFO');
        expect(sent.envelope).toMatchObject({ ok: true });
        const messageId = sent.envelope?.['messageId'];
        await pushOf(bob, 'im.status', { messageId, state: 'stored' });

        const run = await runSipp(sipp, {
          server: target().address('udp'),
          domain: target().domain,
          scenario: await carrierScenario(
            join(SIPP_TEST_SCENARIOS, 'json-device.xml'),
            carrier,
            workDirectory(),
          ),
          localPort: await freeUdpPort(),
          work: workDirectory(),
          args: [
            '-inf',
            await sippUserFile(workDirectory(), user, PASSWORD),
            '-oocsf',
            join(SIPP_TEST_SCENARIOS, 'json-device-pushes.xml'),
          ],
        });
        expectExitedZero(run);
        const pushes = run.messages
          .filter((m) => m.direction === 'received')
          .map((m) => m.message)
          .filter((m): m is SipRequest => m instanceof SipRequest);
        const envelopes = pushes.map((push) => JSON.parse(push.bodyText) as Record<string, unknown>);
        expect(pushes.map((push) => push.method)).toEqual(pushes.map(() => carrier));
        expect(envelopes).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ type: 'login.result', ok: true, user: aor }),
            expect.objectContaining({ type: 'roster.get.result', ok: true }),
            expect.objectContaining({
              type: 'im',
              messageId,
              from: bob.aor,
              text: 'hello SIPp',
              offline: true,
            }),
          ]),
        );
        // Every push SIPp got, it answered 200 (same Call-ID and CSeq).
        const answers = run.messages
          .filter((m) => m.direction === 'sent' && m.message instanceof SipResponse)
          .map((m) => m.message as SipResponse);
        for (const push of pushes) {
          expect(
            answers.some(
              (answer) =>
                answer.status === 200 && answer.callId === push.callId && answer.cseq?.seq === push.cseq?.seq,
            ),
          ).toBe(true);
        }
        // Herald counts the IM delivered: its push to SIPp was answered 200.
        await pushOf(bob, 'im.status', { messageId, state: 'delivered' });
        expectInteropRow({
          client: SIPP_CLIENT,
          version,
          feature: FEATURE.envelope(carrier),
          result: 'pass',
        });
        expectInteropRow({ client: SIPP_CLIENT, version, feature: FEATURE.pushes, result: 'pass' });
      },
    );
  });
}
