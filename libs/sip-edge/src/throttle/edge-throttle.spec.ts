import { registerDecidedV1, registerRequestedV1 } from '#herald/contracts';
import { FakeClock, type Flow, parseMessage, type SipRequest, type SipResponse } from '#herald/sip';
import { createEdgeCore, type EdgeCore } from '../edge-core';
import {
  fakeFlow,
  sendThrough,
  UNIT_DOMAIN,
  UNIT_START_MS,
  unitEdgeConfig,
} from '../../testing/edge-core-fixture';
import { FakeEventBus } from '../../testing/fake-event-bus';

const D = UNIT_DOMAIN;
const BAN_MS = 30_000;

const config = unitEdgeConfig({
  throttle: {
    windowMs: 60_000,
    sourceMaxRequests: 40,
    sourceMaxAuthFailures: 5,
    banMs: BAN_MS,
    accountFreeFailures: 2,
    accountBackoffMaxMs: 300_000,
    maxEntries: 1_000,
  },
});

/** A UDP flow from `address`:`port`, as the transport makes one per source port. */
const flowFrom = (address: string, port: number): Flow => fakeFlow({ remote: { address, port } });

let sequence = 0;

/** A REGISTER for `user`, with an Authorization answering `nonce` when given. */
function register(user: string, nonce?: string): SipRequest {
  sequence += 1;
  const aor = `sip:${user}@${D}`;
  const authorization =
    nonce === undefined
      ? []
      : [
          `Authorization: Digest username="${user}", realm="${D}", nonce="${nonce}", uri="sip:${D}", ` +
            `response="${'0'.repeat(64)}", cnonce="c${sequence}", algorithm=SHA-256, qop=auth, nc=00000001`,
        ];
  const text = [
    `REGISTER sip:${D} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-throttle-${sequence}`,
    'Max-Forwards: 70',
    `From: <${aor}>;tag=t${sequence}`,
    `To: <${aor}>`,
    `Call-ID: throttle-${sequence}`,
    `CSeq: ${sequence} REGISTER`,
    `Contact: <sip:${user}@127.0.0.1:5070>`,
    ...authorization,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

describe('EdgeThrottle in the inbound pipeline', () => {
  let clock: FakeClock;
  let bus: FakeEventBus;
  let core: EdgeCore;

  beforeEach(() => {
    clock = new FakeClock(UNIT_START_MS);
    bus = new FakeEventBus();
    core = createEdgeCore(bus, config, clock, () => undefined);
  });

  const send = (request: SipRequest, flow: Flow): Promise<SipResponse> => sendThrough(core, request, flow);

  /**
   * A credentialed REGISTER of `user` from `flow` (after its challenge); when the edge publishes it,
   * auth decides `status`. Resolves with the final response and whether it was published.
   */
  async function attempt(user: string, flow: Flow, status: 200 | 401 | 403) {
    const challenge = await send(register(user), flow);
    const nonce = new Map(challenge.wwwAuthenticate[0]!.params).get('nonce');
    const published = bus.published.length;
    const pending = send(register(user, nonce), flow);
    await new Promise((resolve) => setImmediate(resolve));
    const asked = bus.published.length > published;
    if (asked) {
      const event = registerRequestedV1.decode(bus.published[published]!.value);
      core.pending.resolve(
        registerDecidedV1.build({
          txKey: event.txKey,
          aor: event.aor,
          status,
          contacts: status === 200 ? [{ uri: event.contacts[0]!.uri, expires: 3600 }] : [],
        }),
      );
    }
    return { response: await pending, published: asked };
  }

  it('refuses credentials of an account backing off from one source across ports, unpublished, and serves another source', async () => {
    for (let port = 6000; port < 6002; port++) {
      const { response, published } = await attempt('alice', flowFrom('127.0.0.2', port), 401);
      expect({ status: response.status, published }).toEqual({ status: 401, published: true });
    }
    // The third failure starts the back-off (1 s): the next guess, from yet another port, stays at the edge.
    expect((await attempt('alice', flowFrom('127.0.0.2', 6002), 401)).published).toBe(true);
    const refused = await attempt('alice', flowFrom('127.0.0.2', 6003), 401);
    expect(refused.published).toBe(false);
    expect(refused.response.status).toBe(503);
    expect(refused.response.headers.get('Retry-After')).toBe('1');
    // The real user, elsewhere, is not locked out.
    const real = await attempt('alice', flowFrom('127.0.0.3', 7000), 200);
    expect({ status: real.response.status, published: real.published }).toEqual({
      status: 200,
      published: true,
    });
    clock.advance(1_000);
    expect((await attempt('alice', flowFrom('127.0.0.2', 6004), 401)).published).toBe(true);
    // The back-off doubled: 2 s now.
    expect(
      (await attempt('alice', flowFrom('127.0.0.2', 6005), 401)).response.headers.get('Retry-After'),
    ).toBe('2');
  });

  it('bans a source at its failures in the window: the transaction layer drops it until the ban ends', async () => {
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    for (const [i, user] of users.entries()) await attempt(user, flowFrom('127.0.0.2', 6000 + i), 403);
    const throttle = core.throttle!;
    expect(throttle.admits(flowFrom('127.0.0.2', 6100))).toBe(false);
    expect(throttle.admits(flowFrom('127.0.0.3', 6100))).toBe(true);
    expect(throttle.guard.activeBans()).toMatchObject([{ source: '127.0.0.2', failures: 5 }]);
    clock.advance(BAN_MS);
    expect(throttle.admits(flowFrom('127.0.0.2', 6100))).toBe(true);
  });

  it('answers a source past its requests in the window 503 with Retry-After, before anything is published', async () => {
    const flows = Array.from({ length: 40 }, (_, i) => flowFrom('127.0.0.2', 6000 + i));
    for (const flow of flows) expect((await send(register('alice'), flow)).status).toBe(401);
    clock.advance(15_000);
    const refused = await send(register('alice'), flowFrom('127.0.0.2', 6999));
    expect(refused.status).toBe(503);
    expect(refused.reason).toBe('Rate Limited (source)');
    expect(refused.headers.get('Retry-After')).toBe('45');
    expect(bus.published).toEqual([]);
    expect((await send(register('alice'), flowFrom('127.0.0.3', 6000))).status).toBe(401);
  });

  it('forgets an (account, source) back-off once auth accepts its credentials', async () => {
    for (let i = 0; i < 3; i++) await attempt('alice', flowFrom('127.0.0.2', 6000 + i), 401);
    clock.advance(1_000);
    expect((await attempt('alice', flowFrom('127.0.0.2', 6010), 200)).response.status).toBe(200);
    expect((await attempt('alice', flowFrom('127.0.0.2', 6011), 401)).published).toBe(true);
    expect((await attempt('alice', flowFrom('127.0.0.2', 6012), 401)).published).toBe(true);
  });
});
