import { notifyRequestedV1, subscribeDecidedV1, subscribeRequestedV1 } from '#herald/contracts';
import { FakeClock, SipRequest, SipResponse } from '#herald/sip';
import { createEdgeCore, EdgeCore } from '../../edge-core';
import {
  fakeFlow,
  parseRequest,
  sendThrough,
  UNIT_DOMAIN as D,
  UNIT_START_MS,
  unitEdgeConfig,
} from '../../../testing/edge-core-fixture';
import { FakeEventBus } from '../../../testing/fake-event-bus';
import { buildNotifyRequest } from '../../outbound/notify-request';

const ALICE = `sip:alice@${D}`;
const BOB = `sip:bob@${D}`;
const MIN_EXPIRES = 60;
const DECISION_TIMEOUT_MS = 2_000;

const flow = fakeFlow({ protocol: 'tcp', remote: { address: '127.0.0.1', port: 40000 }, id: 'tcp:7' });

const config = unitEdgeConfig({
  minExpires: MIN_EXPIRES,
  // The other kinds wait longer: a SUBSCRIBE that times out at DECISION_TIMEOUT_MS used its own.
  decisionTimeoutsMs: {
    register: 10 * DECISION_TIMEOUT_MS,
    publish: 10 * DECISION_TIMEOUT_MS,
    subscribe: DECISION_TIMEOUT_MS,
  },
});

let sequence = 0;

function subscribeRequest(headers: string[], to = `<${BOB}>`, uri = BOB): SipRequest {
  sequence += 1;
  return parseRequest([
    `SUBSCRIBE ${uri} SIP/2.0`,
    `Via: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bK-sub-${sequence}`,
    'Max-Forwards: 70',
    `From: <${ALICE}>;tag=sub-tag`,
    `To: ${to}`,
    'Call-ID: dialog-1@127.0.0.1',
    `CSeq: ${sequence} SUBSCRIBE`,
    ...headers,
    'Content-Length: 0',
    '',
    '',
  ]);
}

const PRESENCE = [
  'Event: presence;id=7',
  'Contact: <sip:alice@127.0.0.1:40000;transport=tcp>',
  'Expires: 600',
];

describe('SUBSCRIBE at the edge (protocol.md §7)', () => {
  let clock: FakeClock;
  let bus: FakeEventBus;
  let core: EdgeCore;

  beforeEach(() => {
    clock = new FakeClock(UNIT_START_MS);
    bus = new FakeEventBus();
    core = createEdgeCore(bus, config, clock, () => undefined);
    core.registry.bind({
      flowId: flow.id,
      aor: ALICE,
      deviceId: 'urn:uuid:alice-phone',
      contact: 'sip:alice@127.0.0.1:40000;transport=tcp',
      expiresAt: clock.now() + 600_000,
    });
  });

  const send = (request: SipRequest): Promise<SipResponse> => sendThrough(core, request, flow);

  /** Sends the SUBSCRIBE, lets presence decide `decision`, and resolves with the final response. */
  async function decided(request: SipRequest, decision: { status: 200 | 403 | 481; expires?: number }) {
    const answer = send(request);
    await new Promise((resolve) => setImmediate(resolve));
    const event = subscribeRequestedV1.decode(bus.published.at(-1)?.value ?? '');
    core.pending.resolve(subscribeDecidedV1.build({ txKey: event.txKey, aor: ALICE, ...decision }));
    return { event, response: await answer };
  }

  it('forwards an initial SUBSCRIBE with the dialog fields and answers 200 with its To tag and Expires', async () => {
    const { event, response } = await decided(subscribeRequest(PRESENCE), { status: 200, expires: 600 });
    expect(event).toMatchObject({
      edgeId: 'edge-unit',
      flowId: 'tcp:7',
      transport: 'tcp',
      aor: ALICE,
      deviceId: 'urn:uuid:alice-phone',
      target: BOB,
      initial: true,
      cseq: sequence,
      expires: 600,
      dialog: {
        callId: 'dialog-1@127.0.0.1',
        subscriberTag: 'sub-tag',
        contact: 'sip:alice@127.0.0.1:40000;transport=tcp',
        routeSet: [],
        eventId: '7',
      },
    });
    expect(bus.published.at(-1)?.key).toBe(ALICE);
    expect(response.status).toBe(200);
    expect(response.to?.tag).toBe(event.dialog.notifierTag);
    expect(response.expires).toBe(600);
    expect(response.headers.get('Contact')).toBe('<sip:127.0.0.1:5060;transport=tcp>');
  });

  it('keeps the To tag of an in-dialog SUBSCRIBE and answers presence refusals as decided', async () => {
    const refresh = await decided(subscribeRequest(PRESENCE, `<${BOB}>;tag=herald-tag`), { status: 481 });
    expect(refresh.event).toMatchObject({ initial: false, dialog: { notifierTag: 'herald-tag' } });
    expect(refresh.response.status).toBe(481);
    expect((await decided(subscribeRequest(PRESENCE), { status: 403 })).response.status).toBe(403);
  });

  it('answers what it can alone without asking presence: 489, 423, 406, 400, 401', async () => {
    const other = await send(subscribeRequest(['Event: dialog', 'Contact: <sip:alice@127.0.0.1:40000>']));
    expect(other.status).toBe(489);
    expect(other.headers.get('Allow-Events')).toBe('presence');
    const brief = await send(
      subscribeRequest(['Event: presence', 'Contact: <sip:a@127.0.0.1>', 'Expires: 30']),
    );
    expect(brief.status).toBe(423);
    expect(brief.minExpires).toBe(MIN_EXPIRES);
    const xml = await send(subscribeRequest([...PRESENCE, 'Accept: application/xpidf+xml']));
    expect(xml.status).toBe(406);
    expect((await send(subscribeRequest(['Event: presence', 'Expires: 600']))).status).toBe(400);
    core.registry.unbind(flow.id);
    expect((await send(subscribeRequest(PRESENCE))).status).toBe(401);
    expect(bus.published).toEqual([]);
  });

  it('answers 503 when presence does not decide in time', async () => {
    const answer = send(subscribeRequest(PRESENCE));
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(DECISION_TIMEOUT_MS);
    const response = await answer;
    expect(response.status).toBe(503);
    expect(response.headers.get('Retry-After')).toBe('7');
  });
});

describe('NOTIFY requests (RFC 6665 §4.2.2)', () => {
  it('are built inside the dialog: Contact as Request-URI, route set, tags, Call-ID, CSeq, Event, Subscription-State', () => {
    const notify = notifyRequestedV1.build({
      pushId: 'n-1',
      origin: 'presence',
      subscriptionId: 'sub-1',
      aor: ALICE,
      deviceId: 'urn:uuid:alice-phone',
      flowId: flow.id,
      target: BOB,
      dialog: {
        callId: 'dialog-1@127.0.0.1',
        subscriberTag: 'sub-tag',
        notifierTag: 'herald-tag',
        contact: 'sip:alice@127.0.0.1:40000;transport=tcp',
        routeSet: ['<sip:proxy.test;lr>'],
        eventId: '7',
      },
      cseq: 3,
      subscriptionState: 'active;expires=599',
      contentType: 'application/pidf+xml',
      body: '<presence/>',
    });
    const request = buildNotifyRequest(notify, flow);
    expect(request.method).toBe('NOTIFY');
    expect(request.uri).toBe('sip:alice@127.0.0.1:40000;transport=tcp');
    expect(request.headers.getAll('Route')).toEqual(['<sip:proxy.test;lr>']);
    expect(request.from?.uri.raw).toBe(BOB);
    expect(request.from?.tag).toBe('herald-tag');
    expect(request.to?.uri.raw).toBe(ALICE);
    expect(request.to?.tag).toBe('sub-tag');
    expect(request.callId).toBe('dialog-1@127.0.0.1');
    expect(request.cseq).toEqual({ seq: 3, method: 'NOTIFY' });
    expect(request.headers.get('Event')).toBe('presence;id=7');
    expect(request.headers.get('Subscription-State')).toBe('active;expires=599');
    expect(request.contentType?.mediaType).toBe('application/pidf+xml');
    expect(request.topVia?.branch).toMatch(/^z9hG4bK/);
    expect(request.bodyText).toBe('<presence/>');
  });
});
