// The interop matrix's sipsak rows (docs/interop.md): Debian's sipsak over real UDP against the
// embedded default and against the separate apps on Kafka. sipsak answers only the first challenge
// of a 401 (MD5 first: HERALD_DIGEST_ALGORITHMS) and resolves the Request-URI's host itself even
// when told where to send, so Herald's domain here is one that resolves: localhost.
import { parseMessage, SipResponse } from '#herald/sip';
import { PASSWORD, targetUnderTest } from '../e2e/e2e-support';
import { HeraldCluster } from '../support/herald-cluster';
import { HeraldEmbedded } from '../support/herald-embedded';
import type { HeraldTarget } from '../support/herald-target';
import { expectInteropRow } from '../support/interop-matrix';
import {
  type ClientRun,
  expectExitedZero,
  freeUdpPort,
  reportedVersion,
  requireClient,
  runClient,
  workDirectoryPerTest,
} from './client-binary';

jest.setTimeout(60_000);

const CLIENT = 'sipsak';
const sipsak = requireClient('sipsak', 'sipsak');
/** `sipsak 0.9.8.1  by Nils Ohlmeier` (`sipsak -V`). */
const version = reportedVersion(sipsak, ['-V'], /sipsak (\d+(?:\.\d+)+)/);
const DOMAIN = 'localhost';
const REGISTER_EXPIRES_SECONDS = 300;
/** sipsak's own retransmissions end well before this. */
const RUN_TIMEOUT_MS = 30_000;

const FEATURE = {
  register: 'REGISTER with MD5 digest',
  options: 'OPTIONS to sip:D',
  defaultOrder: 'REGISTER with the default challenges (SHA-256, then MD5)',
} as const;
/** RFC 7616 §3.7 / RFC 8760 §2.4: a client takes the first challenge whose algorithm it supports. */
const SIPSAK_DEFAULT_ORDER =
  'fails: sipsak bug: gives up at the first challenge (SHA-256) instead of answering the MD5 one; needs MD5 first';

describeSipsak('the embedded default', ['MD5'], (env) => HeraldEmbedded.start({ env }));
describe(`sipsak ${version} against the embedded default with HERALD_DIGEST_ALGORITHMS unset (SHA-256,MD5)`, () => {
  const { target, devices } = targetUnderTest(() => HeraldEmbedded.start({ env: { HERALD_DOMAIN: DOMAIN } }));

  const workDirectory = workDirectoryPerTest('herald-sipsak-');

  it('gives up at the SHA-256 challenge offered first instead of answering the MD5 one after it', async () => {
    const { result } = await sipsakRegister(target(), workDirectory(), await devices.account('sipsak'));
    expect(result.exitCode).not.toBe(0);
    const responses = responsesIn(result.output);
    expect(responses.map((response) => response.status)).toEqual([401]);
    expect(responses[0]?.wwwAuthenticate.map((c) => c.params.get('algorithm'))).toEqual(['SHA-256', 'MD5']);
    expect(result.output).toMatch(/unsupported/i);
    expectInteropRow({
      client: CLIENT,
      version,
      feature: FEATURE.defaultOrder,
      result: SIPSAK_DEFAULT_ORDER,
    });
  });
});
describeSipsak('the separate apps on Kafka', ['MD5', 'SHA-256'], (env) =>
  HeraldCluster.start({ env, domain: DOMAIN }),
);

/** The SIP responses in sipsak's -vvv output (each printed after `received:` or `message received:`). */
function responsesIn(output: string): SipResponse[] {
  return [...output.matchAll(/^(SIP\/2\.0 \d{3} [^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*)/gm)]
    .map((match) => parseMessage(`${match[1].replace(/\r?\n/g, '\r\n')}\r\n`))
    .filter((message): message is SipResponse => message instanceof SipResponse);
}

function runSipsak(target: HeraldTarget, work: string, args: readonly string[]): Promise<ClientRun> {
  const port = target.address('udp').port;
  return runClient(sipsak, ['-r', String(port), '-vvv', ...args], { cwd: work, timeoutMs: RUN_TIMEOUT_MS });
}

/** sipsak's REGISTER of `user` from a port of its own, answering a digest challenge. */
async function sipsakRegister(target: HeraldTarget, work: string, user: string) {
  const port = await freeUdpPort();
  const contact = `sip:${user}@127.0.0.1:${port}`;
  // -U usrloc (REGISTER), -S one socket for sending and receiving (the flow), -u/-a credentials.
  const result = await runSipsak(target, work, [
    '-U',
    '-S',
    '-l',
    String(port),
    '-C',
    contact,
    '-s',
    `sip:${user}@${DOMAIN}`,
    '-u',
    user,
    '-a',
    PASSWORD,
    '-x',
    String(REGISTER_EXPIRES_SECONDS),
  ]);
  return { result, contact };
}

function describeSipsak(
  name: string,
  algorithms: readonly ('MD5' | 'SHA-256')[],
  start: (env: Record<string, string>) => Promise<HeraldTarget>,
): void {
  const setting = algorithms.join(',');
  describe(`sipsak ${version} against ${name} with HERALD_DIGEST_ALGORITHMS=${setting}`, () => {
    const { target, devices } = targetUnderTest(() =>
      start({ HERALD_DIGEST_ALGORITHMS: setting, HERALD_DOMAIN: DOMAIN }),
    );
    const workDirectory = workDirectoryPerTest('herald-sipsak-');

    it(`REGISTERs answering the MD5 challenge (offered: ${setting})`, async () => {
      const user = await devices.account('sipsak');
      const { result, contact } = await sipsakRegister(target(), workDirectory(), user);
      expectExitedZero(result);
      const responses = responsesIn(result.output);
      const challenge = responses.find((response) => response.status === 401);
      expect(challenge?.wwwAuthenticate.map((c) => c.params.get('algorithm'))).toEqual(algorithms);
      const ok = responses.find((response) => response.status === 200);
      expect(ok?.contact).toMatchObject({
        wildcard: false,
        contacts: [{ uri: { raw: contact }, expires: REGISTER_EXPIRES_SECONDS }],
      });
      expectInteropRow({ client: CLIENT, version, feature: FEATURE.register, result: 'pass' });
    });

    it('probes sip:D with OPTIONS and gets 200 with Allow, Accept and Supported (RFC 3261 §11)', async () => {
      // Shoot mode's default request is OPTIONS; sipsak has not registered.
      const result = await runSipsak(target(), workDirectory(), ['-s', `sip:${DOMAIN}`]);
      expectExitedZero(result);
      const ok = responsesIn(result.output).find((response) => response.status === 200);
      expect(ok?.cseq?.method).toBe('OPTIONS');
      expect(ok?.allow).toEqual(['REGISTER', 'INFO', 'MESSAGE', 'OPTIONS', 'PUBLISH', 'SUBSCRIBE']);
      expect(ok?.headers.get('Accept')).toBe('application/vnd.herald+json, text/plain, application/pidf+xml');
      expect(ok?.headers.get('Supported')).toBe('');
      expectInteropRow({ client: CLIENT, version, feature: FEATURE.options, result: 'pass' });
    });
  });
}
