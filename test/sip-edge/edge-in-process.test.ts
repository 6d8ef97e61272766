import { ConsumedRecord, InProcessEventBus } from '#herald/bus';
import {
  commandReceivedV1,
  DEVICE_ID_MAX_LENGTH,
  edgeOutboundRecord,
  pushOutcomeV1,
  pushRequestedV1,
  COMMAND_RECEIVED_V1_TOPICS,
  PUSH_OUTCOME_V1_TOPICS,
  SIP_COMMAND_RECEIVED_AUTH_V1,
  SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
  SIP_PUSH_OUTCOME_AUTH_V1,
} from '#herald/contracts';
import { logTo } from '#herald/observability';
import fc from 'fast-check';
import { createResponse, serializeMessage, SipRequest } from '#herald/sip';
import { FlowBinding, SipEdge } from '#herald/sip-edge';
import { uniqueGroupId } from '../support/topics';
import { waitFor } from '../support/wait-for';
import {
  AdvancingClock,
  D,
  Device,
  edgePort,
  FakeAuth,
  startEdge,
  TEST_T1_MS,
  TEST_T2_MS,
} from './edge-fixture';
import { PeerTransport, SipPeer, TcpPeer, UdpPeer, WsPeer } from './sip-peer';

const LOGIN = '{"v":1,"id":"c-1","type":"login","status":"online"}';
const NONCE_LIFETIME_MS = 1_500;

describe('sip-edge over real sockets and the in-process bus', () => {
  let bus: InProcessEventBus;
  let auth: FakeAuth;
  let edge: SipEdge;
  const clock = new AdvancingClock();
  const commands: ConsumedRecord[] = [];
  const outcomes: ConsumedRecord[] = [];
  const peers: SipPeer[] = [];
  /** The process's JSON log lines from the edge's start on (its loggers are taken at start). */
  const logLines: Record<string, unknown>[] = [];
  let restoreLog: () => void;

  beforeAll(async () => {
    restoreLog = logTo({ write: (line: string) => void logLines.push(JSON.parse(line)) });
    bus = new InProcessEventBus();
    for (const [topic, sink] of [
      ...Object.values(COMMAND_RECEIVED_V1_TOPICS).map((topic) => [topic, commands] as const),
      ...Object.values(PUSH_OUTCOME_V1_TOPICS).map((topic) => [topic, outcomes] as const),
    ]) {
      await bus.subscribe({
        groupId: uniqueGroupId(topic),
        topics: [topic],
        handler: async (r) => void sink.push(r),
      });
    }
    ({ edge, auth } = await startEdge(bus, { nonceLifetimeMs: NONCE_LIFETIME_MS }, clock));
  });

  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.close()));
    await edge.stop();
    await auth.stop();
    await bus.close();
    restoreLog();
  });

  async function device(transport: PeerTransport, user = 'alice', on: SipEdge = edge): Promise<Device> {
    const port = edgePort(on, transport);
    const peer =
      transport === 'udp'
        ? await UdpPeer.open(port)
        : transport === 'tcp'
          ? await TcpPeer.open(port)
          : await WsPeer.open(port);
    peers.push(peer);
    return new Device(peer, user);
  }

  async function registered(transport: PeerTransport, user = 'alice'): Promise<Device> {
    const dev = await device(transport, user);
    expect((await dev.register()).status).toBe(200);
    return dev;
  }

  describe('REGISTER', () => {
    it('challenges with two Digest challenges, SHA-256 then MD5, qop="auth"', async () => {
      const alice = await device('udp');
      const response = await alice.send(alice.registerRequest());
      expect(response.status).toBe(401);
      expect(
        response.wwwAuthenticate.map((c) => [c.scheme, c.params.get('algorithm'), c.params.get('qop')]),
      ).toEqual([
        ['Digest', 'SHA-256', 'auth'],
        ['Digest', 'MD5', 'auth'],
      ]);
      expect(response.wwwAuthenticate.every((c) => c.params.get('realm') === D)).toBe(true);
    });

    it.each(['SHA-256', 'MD5'] as const)(
      'registers with a %s digest and lists the bound Contact',
      async (algorithm) => {
        const alice = await device('tcp');
        const challenge = await alice.send(alice.registerRequest({ expires: 600 }));
        const ok = await alice.send(
          alice.registerRequest({
            expires: 600,
            authorization: alice.authorization(challenge, { algorithm }),
          }),
        );
        expect(ok.status).toBe(200);
        expect(ok.contact).toMatchObject({ wildcard: false });
        const contacts = ok.contact?.wildcard === false ? ok.contact.contacts : [];
        expect(contacts.find((c) => c.uri.raw === alice.peer.contact('alice'))?.expires).toBe(600);
      },
    );

    it('answers 401 to a wrong password (decided by auth)', async () => {
      const alice = await device('udp');
      const challenge = await alice.send(alice.registerRequest());
      const response = await alice.send(
        alice.registerRequest({ authorization: alice.authorization(challenge, { password: 'wrong' }) }),
      );
      expect(response.status).toBe(401);
      expect(response.wwwAuthenticate).toHaveLength(2);
    });

    it('absorbs a retransmitted REGISTER: same final response, auth asked once', async () => {
      const alice = await device('udp');
      const challenge = await alice.send(alice.registerRequest());
      const request = alice.registerRequest({ authorization: alice.authorization(challenge) });
      const asked = auth.requests.length;
      const first = await alice.send(request);
      const from = alice.peer.received.length;
      await alice.peer.send(request);
      const again = await alice.finalResponseTo(request, from);
      expect(again.status).toBe(first.status);
      expect(again.to?.tag).toBe(first.to?.tag);
      expect(auth.requests.length - asked).toBe(1);
    });

    it('answers 423 with Min-Expires below the minimum', async () => {
      const alice = await device('udp');
      const challenge = await alice.send(alice.registerRequest({ expires: 30 }));
      const response = await alice.send(
        alice.registerRequest({ expires: 30, authorization: alice.authorization(challenge) }),
      );
      expect(response.status).toBe(423);
      expect(response.minExpires).toBe(60);
    });

    it('answers 401 stale=true to a nonce past its lifetime', async () => {
      const alice = await device('udp');
      const challenge = await alice.send(alice.registerRequest());
      clock.advance(NONCE_LIFETIME_MS + 1);
      const response = await alice.send(
        alice.registerRequest({ authorization: alice.authorization(challenge) }),
      );
      expect(response.status).toBe(401);
      expect(response.wwwAuthenticate.map((c) => c.params.get('stale'))).toEqual(['true', 'true']);
    });

    it('answers 400 to a +sip.instance longer than a device id, logs EDGE_CONTACT_REJECTED, asks auth nothing', async () => {
      const alice = await device('udp');
      const contactParams = `;+sip.instance="<urn:${'x'.repeat(DEVICE_ID_MAX_LENGTH - 5)}>"`;
      const challenge = await alice.send(alice.registerRequest({ contactParams }));
      const asked = auth.requests.length;
      const response = await alice.send(
        alice.registerRequest({ contactParams, authorization: alice.authorization(challenge) }),
      );
      expect([response.status, response.reason]).toEqual([
        400,
        `Bad Request (+sip.instance must be 1-${DEVICE_ID_MAX_LENGTH} characters)`,
      ]);
      expect(auth.requests.length).toBe(asked);
      expect(logLines.filter((line) => line['code'] === 'EDGE_CONTACT_REJECTED')).toContainEqual(
        expect.objectContaining({ reason: 'contact-out-of-bounds' }),
      );
    });

    it('registers a long +sip.instance within the bounds and publishes its commands with it as device id', async () => {
      const alice = await device('tcp', 'alice');
      const instance = `<urn:${'y'.repeat(990)}>`;
      const contactParams = `;+sip.instance="${instance}"`;
      const challenge = await alice.send(alice.registerRequest({ contactParams }));
      const ok = await alice.send(
        alice.registerRequest({ contactParams, authorization: alice.authorization(challenge) }),
      );
      expect(ok.status).toBe(200);
      const before = commands.length;
      expect((await alice.send(alice.infoRequest(LOGIN))).status).toBe(200);
      // The validating decode a service runs takes what the edge published without validating it.
      expect(commandReceivedV1.decode(commands[before]?.value ?? Buffer.from('{}')).deviceId).toBe(instance);
    });

    it('answers a fresh 401 to a replayed nonce-count in a new transaction', async () => {
      const alice = await device('udp');
      const challenge = await alice.send(alice.registerRequest());
      const credentials = alice.authorization(challenge);
      expect((await alice.send(alice.registerRequest({ authorization: credentials }))).status).toBe(200);
      const replay = await alice.send(alice.registerRequest({ authorization: credentials }));
      expect(replay.status).toBe(401);
      expect(replay.wwwAuthenticate[0].params.get('nonce')).not.toBe(
        challenge.wwwAuthenticate[0].params.get('nonce'),
      );
    });
  });

  describe('INFO and MESSAGE', () => {
    it('accepts INFO from a registered flow and publishes the command before 200', async () => {
      const alice = await registered('udp');
      const before = commands.length;
      const response = await alice.send(alice.infoRequest(LOGIN));
      expect(response.status).toBe(200);
      // The in-process bus acknowledged the publish before the 200 left the edge.
      expect(commands[before]?.topic).toBe(SIP_COMMAND_RECEIVED_AUTH_V1);
      const event = commandReceivedV1.decode(commands[before]?.value ?? Buffer.from('{}'));
      expect(event).toMatchObject({
        aor: alice.aor,
        carrier: 'INFO',
        envelope: { id: 'c-1', type: 'login' },
      });
    });

    it('absorbs a retransmitted INFO: the same 200, the command published once', async () => {
      const alice = await registered('udp');
      const request = alice.infoRequest('{"v":1,"id":"c-rtx","type":"presence.set","status":"away"}');
      const before = commands.length;
      const first = await alice.send(request);
      const from = alice.peer.received.length;
      await alice.peer.send(request);
      const again = await alice.finalResponseTo(request, from);
      expect([first.status, again.status]).toEqual([200, 200]);
      expect(again.to?.tag).toBe(first.to?.tag);
      const published = commands.slice(before).map((r) => commandReceivedV1.decode(r.value).envelope.id);
      expect(published.filter((id) => id === 'c-rtx')).toHaveLength(1);
    });

    it('answers 401 to a request from an unregistered flow', async () => {
      const mallory = await device('udp', 'mallory');
      const response = await mallory.send(mallory.infoRequest(LOGIN));
      expect(response.status).toBe(401);
      expect(response.wwwAuthenticate).toHaveLength(2);
    });

    it('answers 403 to a From that is not the AOR registered on the flow', async () => {
      const alice = await registered('tcp');
      const spoofed = alice.build('INFO', {
        from: `sip:bob@${D}`,
        body: LOGIN,
        headers: [
          ['Info-Package', 'herald'],
          ['Content-Type', 'application/vnd.herald+json'],
        ],
      });
      expect((await alice.send(spoofed)).status).toBe(403);
    });

    it('answers 400 naming the problem to bad JSON and to a bad envelope', async () => {
      const alice = await registered('ws');
      const badJson = await alice.send(alice.infoRequest('{"v":1,'));
      expect([badJson.status, badJson.reason]).toEqual([400, 'Invalid Envelope: body is not valid JSON']);
      const noId = await alice.send(alice.infoRequest('{"v":1,"type":"login"}'));
      expect(noId.status).toBe(400);
      expect(noId.reason).toMatch(/^Invalid Envelope: id/);
    });

    it('answers 415 with Accept to a wrong Content-Type, 413 to an oversized body', async () => {
      const alice = await registered('tcp');
      const wrongType = alice.build('INFO', {
        body: LOGIN,
        headers: [
          ['Info-Package', 'herald'],
          ['Content-Type', 'application/json'],
        ],
      });
      const unsupported = await alice.send(wrongType);
      expect(unsupported.status).toBe(415);
      expect(unsupported.headers.get('Accept')).toBe('application/vnd.herald+json');
      const big = JSON.stringify({ v: 1, id: 'c-big', type: 'presence.set', note: 'x'.repeat(9000) });
      expect((await alice.send(alice.infoRequest(big))).status).toBe(413);
    });

    it('turns a text/plain MESSAGE into im.send with carrier MESSAGE-PLAIN', async () => {
      const alice = await registered('udp');
      const before = commands.length;
      const plain = alice.build('MESSAGE', {
        uri: `sip:bob@${D}`,
        to: `sip:bob@${D}`,
        body: 'hello bob',
        headers: [['Content-Type', 'text/plain']],
      });
      expect((await alice.send(plain)).status).toBe(200);
      expect(commands[before]?.topic).toBe(SIP_COMMAND_RECEIVED_IM_ROUTER_V1);
      expect(commandReceivedV1.decode(commands[before]?.value ?? Buffer.from('{}'))).toMatchObject({
        carrier: 'MESSAGE-PLAIN',
        envelope: { type: 'im.send', to: `sip:bob@${D}`, text: 'hello bob' },
      });
    });
  });

  describe('malformed input and other methods', () => {
    it('answers 400 with the parser reason when a response can be formed, and keeps serving', async () => {
      const alice = await device('udp');
      const request = alice.build('OPTIONS');
      const text = (request.headers.getAll('Via').map((v) => `Via: ${v}`) as string[])
        .concat([
          `From: ${request.headers.get('From') ?? ''}`,
          `To: ${request.headers.get('To') ?? ''}`,
          `Call-ID: ${alice.callId}`,
          `CSeq: ${request.cseq?.seq ?? 0} OPTIONS`,
          'Max-Forwards: seventy',
          'Content-Length: 0',
        ])
        .join('\r\n');
      const from = alice.peer.received.length;
      await alice.peer.sendRaw(`OPTIONS sip:${D} SIP/2.0\r\n${text}\r\n\r\n`);
      const bad = await alice.finalResponseTo(request, from);
      expect(bad.status).toBe(400);
      expect(bad.reason).toMatch(/Max-Forwards/);
      await alice.peer.sendRaw('\u0000\u0001garbage that is not SIP\r\n\r\n');
      expect((await alice.send(alice.build('OPTIONS'))).status).toBe(200);
    });

    it('survives random bytes and every truncation of a request, still answering afterwards', async () => {
      const alice = await device('udp');
      const valid = serializeMessage(alice.registerRequest({ expires: 600 }));
      const inputs = [
        ...fc
          .sample(fc.uint8Array({ maxLength: 600 }), { numRuns: 200, seed: 4475 })
          .map((a) => Buffer.from(a)),
        ...Array.from({ length: valid.length }, (_, end) => valid.subarray(0, end)),
      ];
      for (const input of inputs) await alice.peer.sendRaw(input);
      // The socket buffer may overflow under this burst, so probe as a UDP client would: retransmit (RFC 3261 §17.1.2.2).
      const probe = alice.build('OPTIONS');
      const answered = alice.finalResponseTo(probe, alice.peer.received.length);
      const retransmit = setInterval(() => void alice.peer.send(probe), TEST_T1_MS * 4);
      await alice.peer.send(probe);
      try {
        expect((await answered).status).toBe(200);
      } finally {
        clearInterval(retransmit);
      }
    });

    it('answers 501 to an unknown method and 405 with Allow to INVITE', async () => {
      const alice = await device('tcp');
      expect((await alice.send(alice.build('FROBNICATE'))).status).toBe(501);
      const invite = await alice.send(alice.build('INVITE'));
      expect(invite.status).toBe(405);
      expect(invite.allow).toEqual(['REGISTER', 'INFO', 'MESSAGE', 'OPTIONS', 'PUBLISH', 'SUBSCRIBE']);
    });

    it.each(['ws', 'udp'] as const)(
      'answers OPTIONS over %s with Allow, Accept and Supported (RFC 3261 §11.2)',
      async (transport) => {
        const alice = await device(transport);
        const response = await alice.send(alice.build('OPTIONS'));
        expect(response.status).toBe(200);
        expect(response.allow).toEqual(['REGISTER', 'INFO', 'MESSAGE', 'OPTIONS', 'PUBLISH', 'SUBSCRIBE']);
        expect(response.headers.get('Accept')).toBe(
          'application/vnd.herald+json, text/plain, application/pidf+xml',
        );
        expect(response.headers.get('Supported')).toBe('');
      },
    );
  });

  describe('bus down', () => {
    it('answers 503 with Retry-After, never 200, when the bus cannot take the event', async () => {
      const downBus = new InProcessEventBus();
      const down = await startEdge(downBus);
      try {
        const alice = await device('udp', 'alice', down.edge);
        expect((await alice.register()).status).toBe(200);
        const challenge = await alice.send(alice.registerRequest());
        await downBus.close();
        const info = await alice.send(alice.infoRequest(LOGIN));
        expect(info.status).toBe(503);
        expect(info.retryAfter?.seconds).toBe(5);
        const register = await alice.send(
          alice.registerRequest({ authorization: alice.authorization(challenge) }),
        );
        expect(register.status).toBe(503);
        expect(register.retryAfter?.seconds).toBe(5);
      } finally {
        await down.edge.stop();
      }
    });
  });

  describe('pushes', () => {
    function bindingOf(dev: Device): FlowBinding {
      const binding = edge.registry.bindingsOf(dev.aor).find((b) => b.contact === dev.peer.contact(dev.user));
      if (binding === undefined) throw new Error('device not bound on the edge');
      return binding;
    }

    function publishPush(dev: Device, pushId: string, binding = bindingOf(dev)): Promise<void> {
      const push = pushRequestedV1.build({
        pushId,
        origin: 'auth',
        aor: dev.aor,
        deviceId: binding.deviceId,
        flowId: binding.flowId,
        contact: binding.contact,
        method: 'INFO',
        contentType: 'application/vnd.herald+json',
        body: `{"type":"login.result","re":"c-1","ok":true,"id":"${pushId}"}`,
      });
      return bus.publish([edgeOutboundRecord(edge.config.edgeId, push)]);
    }

    /** The outcome of one of the pushes above (origin auth), found on auth's outcome topic. */
    const outcomeOf = (pushId: string) =>
      outcomes
        .filter((r) => r.topic === SIP_PUSH_OUTCOME_AUTH_V1)
        .map((r) => pushOutcomeV1.decode(r.value))
        .find((o) => o.pushId === pushId);

    it('retransmits an unanswered push over UDP on the Timer E schedule, then reports timed-out', async () => {
      const carol = await registered('udp', 'carol');
      const from = carol.peer.received.length;
      await publishPush(carol, 'p-udp');
      await waitFor(() => outcomeOf('p-udp') !== undefined, 64 * TEST_T1_MS + 2_000, 'the timed-out outcome');
      const arrivals = carol.peer.received
        .slice(from)
        .filter((r) => r.message.kind === 'request' && r.message.method === 'INFO')
        .map((r) => r.at);
      // RFC 3261 §17.1.2.2: Timer E at T1, 3T1, 7T1, then every T2 (the interval capped at T2),
      // until Timer F at 64*T1 = 2,560 ms: 11 sends, the last at 2,520 ms. The exact times are
      // checked with a fake clock in libs/sip; wall-clock arrivals here jitter with the machine's
      // load, so the test checks what load cannot change: the count and the spread.
      const scheduleMs = [0, 1, 3, 7].map((multiple) => multiple * TEST_T1_MS);
      for (let at = 7 * TEST_T1_MS + TEST_T2_MS; at < 64 * TEST_T1_MS; at += TEST_T2_MS) scheduleMs.push(at);
      expect(arrivals).toHaveLength(scheduleMs.length);
      expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(0.8 * scheduleMs.at(-1)!);
      expect(outcomeOf('p-udp')).toMatchObject({ outcome: 'timed-out', aor: carol.aor });
    });

    it('sends a push over TCP once and reports answered when the device says 200', async () => {
      const dave = await registered('tcp', 'dave');
      const from = dave.peer.received.length;
      await publishPush(dave, 'p-tcp');
      const { message } = await dave.peer.next((m) => m.kind === 'request' && m.method === 'INFO', from);
      const push = message as SipRequest;
      expect(push.uri).toBe(dave.peer.contact('dave'));
      expect(push.from?.uri.raw).toBe(`sip:${D}`);
      expect(push.to?.uri.raw).toBe(dave.aor);
      expect(push.infoPackage?.value).toBe('herald');
      await dave.peer.send(createResponse(push, 200));
      await waitFor(() => outcomeOf('p-tcp') !== undefined, 2_000, 'the answered outcome');
      expect(outcomeOf('p-tcp')).toMatchObject({ outcome: 'answered', status: 200 });
    });

    /** The binding a device on `peer` would have as `user` had it registered here (by a previous process, say). */
    function unboundUdp(peer: SipPeer, user: string): FlowBinding {
      const contact = peer.contact(user);
      return {
        flowId: `udp:${edgePort(edge, 'udp')}:127.0.0.1:${contact.slice(contact.lastIndexOf(':') + 1)}`,
        aor: `sip:${user}@${D}`,
        deviceId: contact,
        contact,
        expiresAt: clock.now() + 600_000,
      };
    }

    const infosOn = (peer: SipPeer, from: number) =>
      peer.received.slice(from).filter((r) => r.message.kind === 'request' && r.message.method === 'INFO');

    // Seed 2026120614's chaos soak: an edge restarted under the same edge id got its previous
    // process's push for a UDP flow whose port another user's device held by then, and sent it there.
    it('sends a UDP push for a flow with no registration here to no one, and reports no-flow', async () => {
      const frank = await device('udp', 'frank');
      const binding = unboundUdp(frank.peer, 'gina');
      const gina = new Device(frank.peer, 'gina');
      await publishPush(gina, 'p-not-bound', binding);
      await waitFor(
        () => outcomeOf('p-not-bound') !== undefined,
        64 * TEST_T1_MS + 2_000,
        'the no-flow outcome',
      );
      expect(outcomeOf('p-not-bound')).toMatchObject({ outcome: 'no-flow' });
      expect(infosOn(frank.peer, 0)).toEqual([]);
      expect(logLines).toContainEqual(
        expect.objectContaining({ code: 'EDGE_PUSH_FLOW_UNBOUND', pushId: 'p-not-bound' }),
      );
    });

    it('sends a UDP push waiting for its flow once the device registers there', async () => {
      const hugo = await device('udp', 'hugo');
      const binding = unboundUdp(hugo.peer, 'hugo');
      await publishPush(hugo, 'p-bound-later', binding);
      expect((await hugo.register()).status).toBe(200);
      const { message } = await hugo.peer.next((m) => m.kind === 'request' && m.method === 'INFO');
      expect((message as SipRequest).bodyText).toContain('p-bound-later');
      await hugo.peer.send(createResponse(message as SipRequest, 200));
      await waitFor(() => outcomeOf('p-bound-later') !== undefined, 2_000, 'the answered outcome');
      expect(outcomeOf('p-bound-later')).toMatchObject({ outcome: 'answered', status: 200 });
    });

    it('reports no-flow once the device connection closed', async () => {
      const erin = await registered('tcp', 'erin');
      const binding = bindingOf(erin);
      await erin.peer.close();
      await waitFor(
        () => edge.registry.lookup(binding.flowId) === undefined,
        2_000,
        'the flow to be unbound',
      );
      // auth still lists the registration, so pushes keep coming: the edge no longer holds the flow.
      await publishPush(erin, 'p-gone', binding);
      await waitFor(() => outcomeOf('p-gone') !== undefined, 2_000, 'the no-flow outcome');
      expect(outcomeOf('p-gone')).toMatchObject({ outcome: 'no-flow' });
    });
  });
});
