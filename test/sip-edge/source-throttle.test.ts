// Online password guessing against the embedded default (issue 14): real UDP sockets from several
// 127.0.0.0/8 addresses (each a source address to the edge), the real auth service and database.
import { runCli } from '../../apps/cli/src/cli';
import { freeTcpPort } from '../support/free-port';
import { HeraldEmbedded } from '../support/herald-embedded';
import { SipClient, SipClientError } from '../support/sip-client';

const ADMIN_TOKEN = 'throttle-test-admin-token';
const SOURCE_MAX_AUTH_FAILURES = 10;
const ACCOUNT_FREE_FAILURES = 3;
const BAN_SECONDS = 6;
/** The demo account the real user owns and the attacker guesses. */
const USER = 'alice';
const PASSWORD = 'herald';
/** The client's own T1: a dropped request is given up after 64*T1 = 3.2 s (Timer F). */
const CLIENT_T1_MS = 50;

type Outcome = { status: number; retryAfter?: string } | 'dropped';

let embedded: HeraldEmbedded;
let edgeUrl: string;

beforeAll(async () => {
  const httpPort = await freeTcpPort();
  edgeUrl = `http://127.0.0.1:${httpPort}`;
  embedded = await HeraldEmbedded.start({
    env: {
      HERALD_HTTP_PORT: String(httpPort),
      HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
      HERALD_SIP_SOURCE_MAX_AUTH_FAILURES: String(SOURCE_MAX_AUTH_FAILURES),
      HERALD_SIP_ACCOUNT_FREE_FAILURES: String(ACCOUNT_FREE_FAILURES),
      HERALD_SIP_SOURCE_BAN_SECONDS: String(BAN_SECONDS),
    },
  });
}, 180_000);

afterAll(async () => {
  await embedded?.stop();
});

function client(from: string, user = USER, password = PASSWORD): Promise<SipClient> {
  return SipClient.open({
    protocol: 'udp',
    server: embedded.address('udp'),
    domain: embedded.domain,
    user,
    password,
    t1Ms: CLIENT_T1_MS,
    localAddress: from,
  });
}

/** One REGISTER (challenge, then credentials) from a fresh socket, i.e. a new source port. */
async function attempt(from: string, user: string, password: string): Promise<Outcome> {
  const device = await client(from, user, password);
  try {
    const response = await device.register();
    const retryAfter = response.headers.get('Retry-After');
    return { status: response.status, ...(retryAfter === undefined ? {} : { retryAfter }) };
  } catch (error) {
    if (error instanceof SipClientError && error.code === 'SIP_CLIENT_TIMEOUT') return 'dropped';
    throw error;
  } finally {
    await device.close();
  }
}

/** Wrong passwords for distinct accounts from `from` until the source's failures ban it. */
async function sprayUntilBanned(from: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < SOURCE_MAX_AUTH_FAILURES; i++) {
    outcomes.push(await attempt(from, `guess${i}`, 'wrong-password'));
  }
  return outcomes;
}

/** The edge's log entries with stable code `code`. */
function logged(code: string): Record<string, unknown>[] {
  return embedded.herald.logEntries().filter((entry) => entry['code'] === code);
}

/** The `until` of the EDGE_SOURCE_BANNED line of `source`. */
function banEndOf(source: string): number {
  const banned = logged('EDGE_SOURCE_BANNED').find((entry) => entry['source'] === source);
  if (banned === undefined) throw new Error(`no EDGE_SOURCE_BANNED line for ${source}`);
  return Date.parse(String(banned['until']));
}

/** The real user registering over and over from its own address while `during` runs. */
async function whileRealUserRegisters<T>(
  from: string,
  during: () => Promise<T>,
): Promise<{ result: T; statuses: number[] }> {
  const device = await client(from);
  const statuses: number[] = [];
  let running = true;
  const registering = (async () => {
    while (running) statuses.push((await device.register()).status);
  })();
  try {
    const result = await during();
    running = false;
    await registering;
    return { result, statuses };
  } finally {
    running = false;
    await registering.catch(() => undefined);
    await device.close();
  }
}

describe('password guessing at the edge (embedded default)', () => {
  it('refuses guesses of one account from one address across ports at the edge, while the real user elsewhere is served', async () => {
    const { result: outcomes, statuses } = await whileRealUserRegisters('127.0.0.3', async () => {
      const guesses: Outcome[] = [];
      // Auth decides the free failures and the one after them (401: the challenge again), which
      // starts the back-off.
      for (let i = 0; i <= ACCOUNT_FREE_FAILURES; i++)
        guesses.push(await attempt('127.0.0.2', USER, 'wrong'));
      // Within the first back-off (1 s) every further guess, each from a new port, stays at the edge.
      for (let i = 0; i < 5; i++) guesses.push(await attempt('127.0.0.2', USER, 'wrong'));
      return guesses;
    });
    expect(outcomes).toEqual([
      ...Array.from({ length: ACCOUNT_FREE_FAILURES + 1 }, () => ({ status: 401 })),
      ...Array.from({ length: 5 }, () => ({ status: 503, retryAfter: '1' })),
    ]);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200)).toBe(true);
    // The real password from the guessing address is refused too until the back-off ends: the edge
    // cannot tell the owner there from the attacker; the owner anywhere else is served.
    expect(logged('EDGE_ACCOUNT_BACKOFF')).toContainEqual(
      expect.objectContaining({
        aor: 'sip:alice@herald.local',
        source: '127.0.0.2',
        failures: 4,
        backoffMs: 1000,
      }),
    );
  }, 60_000);

  it('bans an address spraying accounts (dropped silently) without touching others, until the ban expires', async () => {
    const { result, statuses } = await whileRealUserRegisters('127.0.0.3', async () => {
      const sprayed = await sprayUntilBanned('127.0.0.4');
      const banned = await attempt('127.0.0.4', USER, PASSWORD);
      return { sprayed, banned };
    });
    expect(
      result.sprayed.every((outcome) => outcome !== 'dropped' && [401, 403].includes(outcome.status)),
    ).toBe(true);
    expect(result.banned).toBe('dropped');
    expect(statuses.every((status) => status === 200)).toBe(true);
    const banEnd = banEndOf('127.0.0.4');
    // Each probe of a banned source takes Timer F (3.2 s) to give up; the ban lasts 6 s.
    let answered: Outcome = 'dropped';
    while (answered === 'dropped' && Date.now() < banEnd + 10_000)
      answered = await attempt('127.0.0.4', USER, PASSWORD);
    expect(answered).toEqual({ status: 200 });
    expect(Date.now()).toBeGreaterThanOrEqual(banEnd);
  }, 90_000);

  it('lets the admin list bans and lift one with `herald bans` over the edge HTTP port; counts them in /metrics', async () => {
    await sprayUntilBanned('127.0.0.5');
    expect(await attempt('127.0.0.5', USER, PASSWORD)).toBe('dropped');
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      stdout: (line: string) => out.push(line),
      stderr: (line: string) => err.push(line),
      stdin: () => Promise.resolve(''),
      progress: { isTTY: false, write: () => true },
    };
    const env = { HERALD_ADMIN_TOKEN: ADMIN_TOKEN };

    expect(await runCli(['bans', 'list', '--url', edgeUrl], env, io)).toBe(0);
    const bans = out.map(
      (line) => JSON.parse(line) as { source: string; expiresAt: string; failures: number },
    );
    expect(bans).toEqual([
      expect.objectContaining({ source: '127.0.0.5', failures: SOURCE_MAX_AUTH_FAILURES }),
    ]);
    expect(
      await runCli(['bans', 'list', '--url', edgeUrl], { HERALD_ADMIN_TOKEN: 'not-the-admin-token' }, io),
    ).toBe(1);
    expect(err.pop()).toMatch(/^ADMIN_UNAUTHORIZED: \S/);

    const metrics = await (await fetch(`${edgeUrl}/metrics`)).text();
    expect(metrics).toMatch(/^herald_sip_bans_active(\{[^}]*\})? 1$/m);
    expect(metrics).toMatch(/^herald_sip_throttled_total\{[^}]*reason="banned"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^herald_sip_throttled_total\{[^}]*reason="account-backoff"[^}]*\} [1-9]/m);

    expect(await runCli(['bans', 'lift', '127.0.0.5', '--url', edgeUrl], env, io)).toBe(0);
    expect(out.pop()).toBe('{"lifted":"127.0.0.5"}');
    expect(await attempt('127.0.0.5', USER, PASSWORD)).toEqual({ status: 200 });
    // Served before the ban would have ended by itself.
    expect(Date.now()).toBeLessThan(Date.parse(bans[0]!.expiresAt));
    expect(await runCli(['bans', 'lift', '127.0.0.5', '--url', edgeUrl], env, io)).toBe(1);
    expect(err.pop()).toBe('EDGE_BAN_NOT_FOUND: 127.0.0.5 is not banned here');
  }, 90_000);
});
