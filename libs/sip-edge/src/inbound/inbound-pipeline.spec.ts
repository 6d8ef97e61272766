// The module object itself (a namespace import is a copy): a spy on it sees hashAor's HMAC.
import crypto from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  CommandReceivedV1,
  commandReceivedV1,
  registerDecidedV1,
  RegisterDecidedV1,
  RegisterRequestedV1,
  registerRequestedV1,
  SIP_COMMAND_RECEIVED_AUTH_V1,
  SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
  SIP_COMMAND_RECEIVED_PRESENCE_V1,
} from '#herald/contracts';
import { hashAor, SPAN_ATTRIBUTES } from '#herald/observability';
import {
  computeDigestResponse,
  DigestAlgorithm,
  FakeClock,
  Flow,
  ha1,
  parseMessage,
  SipParseError,
  SipRequest,
  SipResponse,
} from '#herald/sip';
import { createEdgeCore, EdgeCore } from '../edge-core';
import {
  fakeFlow,
  sendThrough,
  UNIT_DOMAIN as D,
  UNIT_START_MS,
  unitEdgeConfig,
} from '../../testing/edge-core-fixture';
import { FakeEventBus } from '../../testing/fake-event-bus';

const ALICE = `sip:alice@${D}`;
const NONCE_LIFETIME_MS = 60_000;

const config = unitEdgeConfig({
  nonceLifetimeMs: NONCE_LIFETIME_MS,
  // Distinct per kind, so a request waiting on another kind's timeout shows.
  decisionTimeoutsMs: { register: 2_000, publish: 2_500, subscribe: 3_000 },
});

let branchCounter = 0;

interface RequestSpec {
  method?: string;
  uri?: string;
  from?: string;
  to?: string;
  headers?: string[];
  body?: string;
  /** Core headers left out (`From`, `To`, `Call-ID`, `CSeq`), for the 400s of RFC 3261 §8.2. */
  omit?: string[];
}

function request(spec: RequestSpec = {}): SipRequest {
  const method = spec.method ?? 'INFO';
  const body = spec.body ?? '';
  const text = [
    `${method} ${spec.uri ?? `sip:${D}`} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-unit-${++branchCounter}`,
    'Max-Forwards: 70',
    `From: <${spec.from ?? ALICE}>;tag=a1`,
    `To: <${spec.to ?? `sip:${D}`}>`,
    `Call-ID: call-${branchCounter}@127.0.0.1`,
    `CSeq: ${branchCounter} ${method}`,
    ...(spec.headers ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ]
    .filter((line) => !(spec.omit ?? []).some((name) => line.startsWith(`${name}:`)))
    .concat(['', body])
    .join('\r\n');
  const message = parseMessage(Buffer.from(text));
  if (message.kind !== 'request') throw new Error('expected a request');
  return message;
}

function envelopeInfo(body: string, headers: string[] = []): SipRequest {
  return request({
    body,
    headers: ['Info-Package: herald', 'Content-Type: application/vnd.herald+json', ...headers],
  });
}

describe('inbound pipeline (handlers behind the server transaction)', () => {
  let clock: FakeClock;
  let bus: FakeEventBus;
  let core: EdgeCore;
  let stateless: SipResponse[];
  let flow: ReturnType<typeof fakeFlow>;

  beforeEach(() => {
    clock = new FakeClock(UNIT_START_MS);
    bus = new FakeEventBus();
    stateless = [];
    core = createEdgeCore(bus, config, clock, (response) => stateless.push(response));
    flow = fakeFlow();
  });

  const send = (req: SipRequest, on: Flow = flow): Promise<SipResponse> => sendThrough(core, req, on);

  function bindAlice(on: Flow = flow): void {
    core.registry.bind({
      flowId: on.id,
      aor: ALICE,
      deviceId: 'urn:uuid:dev-1',
      contact: 'sip:alice@127.0.0.1:5070',
      expiresAt: clock.now() + 60_000,
    });
  }

  function challengeParams(response: SipResponse): Map<string, string>[] {
    return response.wwwAuthenticate.map((challenge) => new Map(challenge.params));
  }

  function authorization(
    nonce: string,
    nc: string,
    overrides: Record<string, string> = {},
    algorithm: DigestAlgorithm = 'SHA-256',
  ): string {
    const uri = `sip:${D}`;
    const digestHa1 = ha1(algorithm, 'alice', D, 'secret');
    const response = computeDigestResponse({
      ha1: digestHa1,
      algorithm,
      method: 'REGISTER',
      uri,
      nonce,
      nc,
      cnonce: 'c0ffee',
      qop: 'auth',
    });
    const params = { username: 'alice', realm: D, nonce, uri, response, cnonce: 'c0ffee', ...overrides };
    const quoted = Object.entries(params).map(([k, v]) => `${k}="${v}"`);
    return `Authorization: Digest ${quoted.join(', ')}, algorithm=${algorithm}, qop=auth, nc=${nc}`;
  }

  function register(headers: string[]): SipRequest {
    return request({
      method: 'REGISTER',
      to: ALICE,
      headers: ['Contact: <sip:alice@127.0.0.1:5070>', ...headers],
    });
  }

  /** Sends an authorized REGISTER and answers it with `decision` as auth would. */
  async function decided(
    headers: string[],
    decision: Pick<RegisterDecidedV1, 'status' | 'contacts'> & Partial<RegisterDecidedV1>,
    contact = 'Contact: <sip:alice@127.0.0.1:5070>',
  ): Promise<{ response: SipResponse; event: RegisterRequestedV1 }> {
    const nonce = await freshNonce();
    const published = bus.published.length;
    const req = request({
      method: 'REGISTER',
      to: ALICE,
      headers: [contact, authorization(nonce, '00000001'), ...headers],
    });
    const pending = send(req);
    await new Promise((resolve) => setImmediate(resolve));
    const event = registerRequestedV1.decode(bus.published[published].value);
    core.pending.resolve(registerDecidedV1.build({ txKey: event.txKey, aor: ALICE, ...decision }));
    return { response: await pending, event };
  }

  async function freshNonce(): Promise<string> {
    const challenge = await send(register([]));
    return challengeParams(challenge)[0].get('nonce') ?? '';
  }

  describe('REGISTER', () => {
    it('challenges with SHA-256 then MD5, qop="auth", realm D (protocol.md §1)', async () => {
      const response = await send(register([]));
      expect(response.status).toBe(401);
      const [sha, md5] = challengeParams(response);
      expect(response.wwwAuthenticate.map((c) => c.scheme)).toEqual(['Digest', 'Digest']);
      expect(sha.get('algorithm')).toBe('SHA-256');
      expect(md5.get('algorithm')).toBe('MD5');
      for (const params of [sha, md5]) {
        expect(params.get('qop')).toBe('auth');
        expect(params.get('realm')).toBe(D);
        expect(params.has('stale')).toBe(false);
      }
      expect(response.to?.tag).toBeDefined();
      expect(bus.published).toEqual([]);
    });

    it.each([[['MD5', 'SHA-256']], [['MD5']], [['SHA-256']]] as const)(
      'challenges with HERALD_DIGEST_ALGORITHMS=%j only, in that order',
      async (digestAlgorithms) => {
        core = createEdgeCore(bus, { ...config, digestAlgorithms }, clock, () => undefined);
        const response = await send(register([]));
        expect(response.status).toBe(401);
        expect(challengeParams(response).map((params) => params.get('algorithm'))).toEqual(digestAlgorithms);
      },
    );

    it('challenges again credentials of an algorithm it does not offer, and takes those of one it does', async () => {
      core = createEdgeCore(bus, { ...config, digestAlgorithms: ['MD5'] }, clock, () => undefined);
      const refused = await send(register([authorization(await freshNonce(), '00000001', {}, 'SHA-256')]));
      expect(refused.status).toBe(401);
      expect(challengeParams(refused).map((params) => params.get('algorithm'))).toEqual(['MD5']);
      expect(bus.published).toEqual([]);
      const pending = send(register([authorization(await freshNonce(), '00000001', {}, 'MD5')]));
      await new Promise((resolve) => setImmediate(resolve));
      expect(bus.published).toHaveLength(1);
      const event = registerRequestedV1.decode(bus.published[0].value);
      expect(event.digest.algorithm).toBe('MD5');
      core.pending.resolve(
        registerDecidedV1.build({ txKey: event.txKey, aor: ALICE, status: 403, contacts: [] }),
      );
      expect((await pending).status).toBe(403);
    });

    it('publishes a fresh digest REGISTER and answers with the decision, binding the flow', async () => {
      const nonce = await freshNonce();
      const pending = send(register([authorization(nonce, '00000001'), 'Expires: 600']));
      await new Promise((resolve) => setImmediate(resolve));
      expect(bus.published).toHaveLength(1);
      const event: RegisterRequestedV1 = registerRequestedV1.decode(bus.published[0].value);
      expect(bus.published[0].key).toBe(ALICE);
      expect(event).toMatchObject({
        edgeId: 'edge-unit',
        flowId: flow.id,
        aor: ALICE,
        transport: 'udp',
        contacts: [{ uri: 'sip:alice@127.0.0.1:5070', expires: 600 }],
        star: false,
        digest: { username: 'alice', nonce, nc: '00000001', algorithm: 'SHA-256', qop: 'auth' },
        // auth applies nothing after the edge stopped waiting (and answered 503).
        deadline: new Date(clock.now() + config.decisionTimeoutsMs.register).toISOString(),
      });
      expect(
        core.pending.resolve({
          v: 1,
          type: 'register.decided',
          at: new Date().toISOString(),
          txKey: event.txKey,
          aor: ALICE,
          status: 200,
          contacts: [{ uri: 'sip:alice@127.0.0.1:5070', expires: 600 }],
        }),
      ).toBe(true);
      const response = await pending;
      expect(response.status).toBe(200);
      expect(response.headers.getAll('Contact')).toEqual(['<sip:alice@127.0.0.1:5070>;expires=600']);
      expect(core.registry.lookup(flow.id)).toMatchObject({
        aor: ALICE,
        contact: 'sip:alice@127.0.0.1:5070',
      });
    });

    it('keeps the Contact parameters softphones send and lists them back with the granted expiry', async () => {
      const uri = 'sip:alice@127.0.0.1:5070;transport=udp;ob';
      const params = ';+sip.instance="<urn:uuid:00000000-0000-1000-8000-0050ba5e1100>";reg-id=1';
      const { response, event } = await decided(
        ['Expires: 600'],
        { status: 200, contacts: [{ uri, expires: 300, params }] },
        `Contact: <${uri}>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-0050ba5e1100>";reg-id=1;expires=900`,
      );
      expect(event.contacts).toEqual([
        { uri, expires: 900, instanceId: '<urn:uuid:00000000-0000-1000-8000-0050ba5e1100>', params },
      ]);
      expect(response.headers.getAll('Contact')).toEqual([`<${uri}>${params};expires=300`]);
      expect(core.registry.lookup(flow.id)).toMatchObject({
        deviceId: '<urn:uuid:00000000-0000-1000-8000-0050ba5e1100>',
        contact: uri,
      });
    });

    it('answers 401 stale=true for an expired nonce (RFC 7616 §3.3)', async () => {
      const nonce = await freshNonce();
      clock.advance(NONCE_LIFETIME_MS + 1);
      const response = await send(register([authorization(nonce, '00000001')]));
      expect(response.status).toBe(401);
      expect(challengeParams(response).map((p) => p.get('stale'))).toEqual(['true', 'true']);
    });

    it('answers a fresh 401 for a forged nonce, a wrong realm and a replayed nonce-count', async () => {
      const forged = await send(
        register([authorization('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '00000001')]),
      );
      expect(forged.status).toBe(401);
      expect(challengeParams(forged)[0].has('stale')).toBe(false);
      const nonce = await freshNonce();
      const wrongRealm = await send(register([authorization(nonce, '00000001', { realm: 'other.test' })]));
      expect(wrongRealm.status).toBe(401);
      bus.down = true; // the first use of nc=2 reaches the bus; the replay must not
      expect((await send(register([authorization(nonce, '00000002')]))).status).toBe(503);
      const replayed = await send(register([authorization(nonce, '00000002')]));
      expect(replayed.status).toBe(401);
      expect(challengeParams(replayed)[0].get('nonce')).not.toBe(nonce);
    });

    it('answers 423 with Min-Expires below the minimum (RFC 3261 §10.3 step 7)', async () => {
      const nonce = await freshNonce();
      const response = await send(register([authorization(nonce, '00000001'), 'Expires: 30']));
      expect(response.status).toBe(423);
      expect(response.minExpires).toBe(60);
      expect(bus.published).toEqual([]);
    });

    it('refuses a third-party registration with 403 and an AOR of another domain with 404', async () => {
      const thirdParty = request({ method: 'REGISTER', to: ALICE, from: `sip:bob@${D}` });
      expect((await send(thirdParty)).status).toBe(403);
      const foreign = request({
        method: 'REGISTER',
        to: 'sip:alice@elsewhere.test',
        from: 'sip:alice@elsewhere.test',
      });
      expect((await send(foreign)).status).toBe(404);
    });

    it("answers with auth's refusals: 401 with a fresh challenge, 403, 423 with auth's Min-Expires", async () => {
      const unauthorized = (await decided([], { status: 401, contacts: [] })).response;
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.wwwAuthenticate).toHaveLength(2);
      expect((await decided([], { status: 403, contacts: [] })).response.status).toBe(403);
      const tooBrief = (await decided([], { status: 423, contacts: [], minExpires: 120 })).response;
      expect([tooBrief.status, tooBrief.minExpires]).toEqual([423, 120]);
      expect(core.registry.lookup(flow.id)).toBeUndefined();
    });

    it('unbinds the flow on Expires: 0 and every flow of the AOR on Contact: *', async () => {
      const contacts = [{ uri: 'sip:alice@127.0.0.1:5070', expires: 600 }];
      await decided(['Expires: 600'], { status: 200, contacts });
      expect(core.registry.lookup(flow.id)).toBeDefined();
      const removed = await decided(['Expires: 0'], { status: 200, contacts: [] });
      expect(removed.event.contacts).toEqual([{ uri: 'sip:alice@127.0.0.1:5070', expires: 0 }]);
      expect(core.registry.lookup(flow.id)).toBeUndefined();
      await decided(['Expires: 600'], { status: 200, contacts });
      bindAlice(fakeFlow({ protocol: 'tcp', id: 'tcp:2' }));
      const star = await decided(['Expires: 0'], { status: 200, contacts: [] }, 'Contact: *');
      expect(star.event.star).toBe(true);
      expect(core.registry.bindingsOf(ALICE)).toEqual([]);
    });

    it('answers 400 to Contact: * without Expires: 0 and to a malformed Authorization', async () => {
      const nonce = await freshNonce();
      const starRequest = request({
        method: 'REGISTER',
        to: ALICE,
        headers: ['Contact: *', 'Expires: 60', authorization(nonce, '00000001')],
      });
      const star = await send(starRequest);
      expect([star.status, star.reason]).toEqual([400, 'Bad Request (Contact * needs Expires: 0)']);
      const malformed = await send(register(['Authorization: Digest username="alice", realm=']));
      expect([malformed.status, malformed.reason]).toEqual([400, 'Malformed Authorization']);
    });

    it('challenges again an unsupported digest algorithm', async () => {
      const nonce = await freshNonce();
      const response = await send(
        register([authorization(nonce, '00000001').replace('SHA-256', 'SHA-512-256')]),
      );
      expect(response.status).toBe(401);
      expect(bus.published).toEqual([]);
    });

    it('answers 503 with Retry-After when the bus is down or no decision comes', async () => {
      bus.down = true;
      const down = await send(register([authorization(await freshNonce(), '00000001')]));
      expect(down.status).toBe(503);
      expect(down.retryAfter?.seconds).toBe(7);
      bus.down = false;
      const pending = send(register([authorization(await freshNonce(), '00000001')]));
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(config.decisionTimeoutsMs.register);
      const timedOut = await pending;
      expect(timedOut.status).toBe(503);
      expect(timedOut.retryAfter?.seconds).toBe(7);
      expect(core.pending.size).toBe(0);
    });
  });

  describe('INFO and MESSAGE', () => {
    const login = '{"v":1,"id":"c-1","type":"login","status":"online"}';

    it('challenges a request from an unregistered flow with 401', async () => {
      const response = await send(envelopeInfo(login));
      expect(response.status).toBe(401);
      expect(response.wwwAuthenticate).toHaveLength(2);
    });

    it('forbids a From that is not the AOR registered on the flow (403)', async () => {
      bindAlice();
      const spoofed = request({
        from: `sip:bob@${D}`,
        body: login,
        headers: ['Info-Package: herald', 'Content-Type: application/vnd.herald+json'],
      });
      expect((await send(spoofed)).status).toBe(403);
    });

    it('answers 469 to INFO without Info-Package herald (RFC 6086 §4.2.2)', async () => {
      bindAlice();
      const response = await send(
        request({ body: login, headers: ['Content-Type: application/vnd.herald+json'] }),
      );
      expect(response.status).toBe(469);
      expect(response.headers.get('Recv-Info')).toBe('herald');
    });

    it('answers 415 with Accept to a wrong Content-Type', async () => {
      bindAlice();
      const info = await send(
        request({ body: login, headers: ['Info-Package: herald', 'Content-Type: text/plain'] }),
      );
      expect(info.status).toBe(415);
      expect(info.headers.get('Accept')).toBe('application/vnd.herald+json');
      const message = await send(
        request({ method: 'MESSAGE', body: '<x/>', headers: ['Content-Type: text/html'] }),
      );
      expect(message.status).toBe(415);
      expect(message.headers.get('Accept')).toBe('application/vnd.herald+json, text/plain');
    });

    it('answers 413 to a body over the limit', async () => {
      bindAlice();
      const big = JSON.stringify({
        v: 1,
        id: 'c-2',
        type: 'presence.set',
        note: 'x'.repeat(config.maxBodyBytes),
      });
      const response = await send(envelopeInfo(big));
      expect(response.status).toBe(413);
      expect(bus.published).toEqual([]);
    });

    it.each([
      ['{not json', 'Invalid Envelope: body is not valid JSON'],
      ['[1,2]', 'Invalid Envelope: body is not a JSON object'],
      ['{"v":1,"type":"login"}', 'Invalid Envelope: id: id must be a string'],
    ])('answers 400 naming the problem for %s', async (body, reason) => {
      bindAlice();
      const response = await send(envelopeInfo(body));
      expect(response.status).toBe(400);
      expect(response.reason).toBe(reason);
      expect(bus.published).toEqual([]);
    });

    it.each(['From', 'To', 'Call-ID', 'CSeq'])(
      'answers 400 naming a missing %s, and publishes nothing (RFC 3261 §8.2)',
      async (header) => {
        bindAlice();
        const response = await send(
          request({
            body: login,
            headers: ['Info-Package: herald', 'Content-Type: application/vnd.herald+json'],
            omit: [header],
          }),
        );
        expect([response.status, response.reason]).toEqual([400, `missing ${header}`]);
        expect(bus.published).toEqual([]);
      },
    );

    it('answers 200 only after the bus acknowledged the command', async () => {
      bindAlice();
      bus.holdAcks = true;
      let answered = false;
      const pending = send(envelopeInfo(login)).then((response) => {
        answered = true;
        return response;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(answered).toBe(false);
      bus.releaseAcks();
      expect((await pending).status).toBe(200);
      expect(bus.published).toHaveLength(1);
      expect(bus.published[0].topic).toBe(SIP_COMMAND_RECEIVED_AUTH_V1);
      expect(bus.published[0].key).toBe(ALICE);
      const event: CommandReceivedV1 = commandReceivedV1.decode(bus.published[0].value);
      expect(event).toMatchObject({
        aor: ALICE,
        flowId: flow.id,
        deviceId: 'urn:uuid:dev-1',
        carrier: 'INFO',
        envelope: { v: 1, id: 'c-1', type: 'login', status: 'online' },
      });
    });

    it('drains: a request taken before finishes with 200, a new one gets 503 with Retry-After', async () => {
      bindAlice();
      bus.holdAcks = true;
      const taken = send(envelopeInfo(login));
      await new Promise((resolve) => setImmediate(resolve));
      let drained = false;
      const draining = core.pipeline.drain().then(() => {
        drained = true;
      });
      const refused = await send(envelopeInfo(login));
      expect(refused.status).toBe(503);
      expect(refused.reason).toBe('Service Unavailable (shutting down)');
      expect(refused.retryAfter?.seconds).toBe(7);
      expect(drained).toBe(false);
      expect(core.pipeline.inProgress).toBe(1);
      bus.releaseAcks();
      expect((await taken).status).toBe(200);
      await draining;
      expect(bus.published).toHaveLength(1);
    });

    it('forwards unknown types to auth, which answers them (unknown-type result)', async () => {
      bindAlice();
      expect((await send(envelopeInfo('{"v":1,"id":"c-9","type":"teleport"}'))).status).toBe(200);
      expect(bus.published[0].topic).toBe(SIP_COMMAND_RECEIVED_AUTH_V1);
      expect(commandReceivedV1.decode(bus.published[0].value).envelope.type).toBe('teleport');
    });

    it('publishes each command to the topic of the service that owns its type, invalid ones too', async () => {
      bindAlice();
      const commands = [
        '{"v":1,"id":"c-1","type":"login"}',
        '{"v":1,"id":"c-2","type":"profile.set","displayName":"Alice"}',
        '{"v":1,"id":"c-3","type":"roster.add","uri":"sip:bob@herald.test"}',
        '{"v":1,"id":"c-4","type":"presence.set","status":"sleeping"}',
        '{"v":1,"id":"c-5","type":"im.send","to":"sip:bob@herald.test","text":"hi"}',
      ];
      for (const body of commands) expect(await send(envelopeInfo(body))).toMatchObject({ status: 200 });
      expect(
        bus.published.map((record) => [record.topic, commandReceivedV1.decode(record.value).envelope.id]),
      ).toEqual([
        [SIP_COMMAND_RECEIVED_AUTH_V1, 'c-1'],
        [SIP_COMMAND_RECEIVED_AUTH_V1, 'c-2'],
        [SIP_COMMAND_RECEIVED_PRESENCE_V1, 'c-3'],
        [SIP_COMMAND_RECEIVED_PRESENCE_V1, 'c-4'],
        [SIP_COMMAND_RECEIVED_IM_ROUTER_V1, 'c-5'],
      ]);
    });

    it('forwards the envelope as the client sent it: the owning service checks and completes the command', async () => {
      bindAlice();
      const bodies = [
        '{"v":1,"id":"c-1","type":"login"}',
        '{"v":1,"id":"c-2","type":"presence.set","status":42,"hint":[1]}',
      ];
      for (const body of bodies) expect(await send(envelopeInfo(body))).toMatchObject({ status: 200 });
      // No default status for the login, the bad status and the unknown field kept: parseCommandObject
      // in the service answers the second with presence.set.result bad-request.
      expect(bus.published.map((record) => commandReceivedV1.decode(record.value).envelope)).toEqual([
        { v: 1, id: 'c-1', type: 'login' },
        { v: 1, id: 'c-2', type: 'presence.set', status: 42, hint: [1] },
      ]);
    });

    it('answers 503 with Retry-After when the bus is down (never 200 for something not stored)', async () => {
      bindAlice();
      bus.down = true;
      const response = await send(envelopeInfo(login));
      expect(response.status).toBe(503);
      expect(response.retryAfter?.seconds).toBe(7);
    });

    it('turns a text/plain MESSAGE to sip:bob@D into im.send with carrier MESSAGE-PLAIN', async () => {
      bindAlice();
      const plain = () =>
        request({
          method: 'MESSAGE',
          uri: `sip:bob@${D}`,
          body: 'hello bob',
          headers: ['Content-Type: text/plain'],
        });
      expect((await send(plain())).status).toBe(200);
      expect((await send(plain())).status).toBe(200);
      expect(bus.published.map((record) => record.topic)).toEqual([
        SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
        SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
      ]);
      const [first, second] = bus.published.map((record) => commandReceivedV1.decode(record.value));
      expect(first).toMatchObject({
        carrier: 'MESSAGE-PLAIN',
        envelope: { v: 1, type: 'im.send', to: `sip:bob@${D}`, text: 'hello bob' },
      });
      // Two MESSAGEs (new Call-ID, new CSeq) are two commands with two ids.
      expect(first.envelope.id).not.toBe(second.envelope.id);
    });

    it('accepts a JSON MESSAGE with carrier MESSAGE', async () => {
      bindAlice();
      const message = request({
        method: 'MESSAGE',
        body: login,
        headers: ['Content-Type: application/vnd.herald+json'],
      });
      expect((await send(message)).status).toBe(200);
      expect(commandReceivedV1.decode(bus.published[0].value).carrier).toBe('MESSAGE');
    });

    it('rate-limits a flow with 503, Retry-After and a reason saying so', async () => {
      const limited = createEdgeCore(
        bus,
        { ...config, rateLimit: { burst: 2, perSecond: 1 } },
        clock,
        () => undefined,
      );
      core = limited;
      bindAlice();
      expect((await send(envelopeInfo(login))).status).toBe(200);
      expect((await send(envelopeInfo(login))).status).toBe(200);
      const response = await send(envelopeInfo(login));
      expect(response.status).toBe(503);
      expect(response.reason).toBe('Rate Limited');
      expect(response.retryAfter?.seconds).toBe(1);
      expect(bus.published).toHaveLength(2);
    });
  });

  describe('other methods and Request-URIs', () => {
    it('answers OPTIONS to sip:D from an unregistered flow with Allow, Accept and Supported (RFC 3261 §11.2)', async () => {
      const response = await send(request({ method: 'OPTIONS' }));
      expect(response.status).toBe(200);
      expect(response.allow).toEqual(['REGISTER', 'INFO', 'MESSAGE', 'OPTIONS', 'PUBLISH', 'SUBSCRIBE']);
      expect(response.headers.get('Accept')).toBe(
        'application/vnd.herald+json, text/plain, application/pidf+xml',
      );
      expect(response.headers.get('Accept-Encoding')).toBe('identity');
      expect(response.headers.get('Accept-Language')).toBe('en');
      // No extension is supported: the header is present and empty (§20.37).
      expect(response.headers.get('Supported')).toBe('');
      expect(bus.published).toEqual([]);
    });

    it('answers 405 with Allow to a known method it does not serve, 501 to an unknown one', async () => {
      const invite = await send(request({ method: 'INVITE' }));
      expect(invite.status).toBe(405);
      expect(invite.allow).toEqual(['REGISTER', 'INFO', 'MESSAGE', 'OPTIONS', 'PUBLISH', 'SUBSCRIBE']);
      expect((await send(request({ method: 'FROBNICATE' }))).status).toBe(501);
    });

    it('answers 416 to a non-SIP Request-URI and 404 to another domain', async () => {
      expect((await send(request({ method: 'OPTIONS', uri: 'tel:+15551234' }))).status).toBe(416);
      expect((await send(request({ method: 'OPTIONS', uri: 'sip:elsewhere.test' }))).status).toBe(404);
    });

    it('answers 420 with Unsupported to a required extension', async () => {
      const response = await send(request({ method: 'OPTIONS', headers: ['Require: foo'] }));
      expect(response.status).toBe(420);
      expect(response.headers.get('Unsupported')).toBe('foo');
    });

    it('answers 400 with the reason when a header a handler reads is malformed', async () => {
      // Built directly: the parser itself would already reject this Contact.
      const valid = register([]);
      const headers = valid.headers.clone().set('To', '<sip:alice@herald.test');
      const malformed = new SipRequest({ method: 'REGISTER', uri: valid.uri, headers });
      const response = await send(malformed);
      expect(response.status).toBe(400);
      expect(response.reason).toMatch(/^bad To/);
    });
  });

  describe('tracing', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

    afterEach(() => {
      trace.disable();
      exporter.reset();
    });

    it('gives a recorded request span the hashed sender AOR, method and status', async () => {
      trace.setGlobalTracerProvider(provider);
      expect((await send(request({ method: 'OPTIONS' }))).status).toBe(200);
      const [span] = exporter.getFinishedSpans();
      expect(span.name).toBe('SIP OPTIONS');
      expect(span.attributes[SPAN_ATTRIBUTES.aorHash]).toBe(hashAor(ALICE));
      expect(span.attributes[SPAN_ATTRIBUTES.sipMethod]).toBe('OPTIONS');
      expect(span.attributes[SPAN_ATTRIBUTES.sipResponseCode]).toBe(200);
    });

    it('answers as before when no span is recorded (no tracer provider), hashing nothing', async () => {
      const createHmac = jest.spyOn(crypto, 'createHmac');
      try {
        expect((await send(request({ method: 'OPTIONS' }))).status).toBe(200);
        expect(exporter.getFinishedSpans()).toHaveLength(0);
        expect(createHmac).not.toHaveBeenCalled();
      } finally {
        createHmac.mockRestore();
      }
    });
  });

  describe('unparsable input', () => {
    it('answers 400 with the parser reason when a response can be formed', () => {
      const error = new SipParseError('SIP_BAD_HEADER', 'bad Max-Forwards', {
        method: 'INFO',
        via: ['SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-x'],
        from: `<${ALICE}>;tag=a`,
        to: `<sip:${D}>`,
        callId: 'c@h',
        cseq: '1 INFO',
      });
      core.pipeline.onInvalidMessage(error, flow);
      expect(stateless).toHaveLength(1);
      expect(stateless[0].status).toBe(400);
      expect(stateless[0].reason).toBe('bad Max-Forwards');
      expect(stateless[0].callId).toBe('c@h');
      expect(stateless[0].to?.tag).toBeDefined();
    });

    it('drops (with a log line) what cannot be answered', () => {
      core.pipeline.onInvalidMessage(new SipParseError('SIP_BAD_START_LINE', 'garbage'), flow);
      const partial = {
        method: 'INFO',
        via: [],
        from: undefined,
        to: undefined,
        callId: 'c',
        cseq: '1 INFO',
      };
      core.pipeline.onInvalidMessage(new SipParseError('SIP_MISSING_HEADER', 'no Via', partial), flow);
      expect(stateless).toEqual([]);
    });
  });
});
