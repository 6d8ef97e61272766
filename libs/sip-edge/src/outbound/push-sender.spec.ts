// The module object itself (a namespace import is a copy): spies on it see every caller's calls.
import crypto from 'node:crypto';
import { BusUnavailableError, insideAwaitedPublish } from '#herald/bus';
import {
  edgeOutboundRecord,
  notifyRequestedV1,
  pushOutcomeV1,
  PushRequestedV1,
  pushRequestedV1,
  registerDecidedV1,
  SIP_PUSH_OUTCOME_AUTH_V1,
  SIP_PUSH_OUTCOME_IM_ROUTER_V1,
  SIP_PUSH_OUTCOME_PRESENCE_V1,
} from '#herald/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ClientTransactionOutcome,
  FakeClock,
  Flow,
  readViaList,
  SipRequest,
  SipResponse,
  TransportError,
} from '#herald/sip';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { hashAor, HeraldMetrics, logTo, SPAN_ATTRIBUTES } from '#herald/observability';
import { BusPublisher } from '../inbound/bus-publisher';
import { PendingDecisions } from '../inbound/pending-decisions';
import { OutboundConsumer } from './outbound-consumer';
import { buildPushRequest, originatingVia } from './push-request';
import { PUSH_DROP_LOG_INTERVAL_MS, PushSender, PushTransport } from './push-sender';
import { FakeEventBus } from '../../testing/fake-event-bus';
import { BoundDevice, FlowBindWaits } from '../flows/flow-bind-waits';

const D = 'herald.test';
const FLOW_ID = 'tcp:7';
const UDP_FLOW_ID = 'udp:5060:127.0.0.1:40002';
/** How long a push waits for its UDP flow's binding (Timer F in the edge). */
const BIND_WAIT_MS = 1_000;

const flow: Flow = {
  id: FLOW_ID,
  protocol: 'tcp',
  reliable: true,
  local: { address: '127.0.0.1', port: 5060 },
  remote: { address: '127.0.0.1', port: 40000 },
  isOpen: () => true,
  send: async () => undefined,
};

const udpFlow: Flow = {
  ...flow,
  id: UDP_FLOW_ID,
  protocol: 'udp',
  reliable: false,
  remote: { address: '127.0.0.1', port: 40002 },
};

/** A fake transport whose transactions the test settles. */
class FakeTransport implements PushTransport {
  readonly sent: SipRequest[] = [];
  private settle: ((outcome: ClientTransactionOutcome<SipResponse>) => void)[] = [];
  flows = new Map<string, Flow>([
    [FLOW_ID, flow],
    [UDP_FLOW_ID, udpFlow],
  ]);
  /** The FlowRegistry's bindings: none unless a test binds one (`bind`). */
  devices = new Map<string, BoundDevice>();
  readonly clock = new FakeClock();
  private readonly bindWaits = new FlowBindWaits(this.clock, BIND_WAIT_MS);

  findFlow(flowId: string): Flow | undefined {
    return this.flows.get(flowId);
  }

  deviceOn(flowId: string): BoundDevice | undefined {
    return this.devices.get(flowId);
  }

  waitForBinding(flowId: string): Promise<BoundDevice | undefined> {
    return this.bindWaits.wait(flowId);
  }

  /** A REGISTER bound the flow (FlowRegistry.bind). */
  bind(flowId: string, device: BoundDevice): void {
    this.devices.set(flowId, device);
    this.bindWaits.bound(flowId, device);
  }

  sendRequest(request: SipRequest): Promise<ClientTransactionOutcome<SipResponse>> {
    this.sent.push(request);
    return new Promise((resolve) => this.settle.push(resolve));
  }

  finish(outcome: ClientTransactionOutcome<SipResponse>): void {
    this.settle.shift()?.(outcome);
  }
}

function push(fields: Partial<PushRequestedV1> = {}): PushRequestedV1 {
  return pushRequestedV1.build({
    pushId: 'p-1',
    origin: 'auth',
    aor: `sip:alice@${D}`,
    deviceId: 'urn:uuid:dev-1',
    flowId: FLOW_ID,
    contact: 'sip:alice@127.0.0.1:40000;transport=tcp',
    method: 'INFO',
    contentType: 'application/vnd.herald+json',
    body: '{"type":"login.result","re":"c-1","ok":true}',
    ...fields,
  });
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('push requests', () => {
  it('builds INFO per protocol.md §2: Contact as Request-URI, From sip:D with a tag, To the AOR, Info-Package', () => {
    const request = buildPushRequest(push(), flow, D);
    expect(request.method).toBe('INFO');
    expect(request.uri).toBe('sip:alice@127.0.0.1:40000;transport=tcp');
    expect(request.from?.uri.raw).toBe(`sip:${D}`);
    expect(request.from?.tag).toMatch(/^[0-9a-f]{8,}$/);
    expect(request.to?.uri.raw).toBe(`sip:alice@${D}`);
    expect(request.to?.tag).toBeUndefined();
    expect(request.topVia).toMatchObject({ transport: 'TCP', host: '127.0.0.1', port: 5060 });
    expect(request.topVia?.branch).toMatch(/^z9hG4bK/);
    expect(request.maxForwards).toBe(70);
    expect(request.cseq).toEqual({ seq: 1, method: 'INFO' });
    expect(request.infoPackage?.value).toBe('herald');
    expect(request.contentType?.mediaType).toBe('application/vnd.herald+json');
    expect(request.bodyText).toBe('{"type":"login.result","re":"c-1","ok":true}');
    const other = buildPushRequest(push(), flow, D);
    expect(other.callId).not.toBe(request.callId);
    expect(other.topVia?.branch).not.toBe(request.topVia?.branch);
  });

  it('writes its Via on top as the value it keeps parsed (rport asked, IPv6 in brackets)', () => {
    const udp6: Flow = { ...flow, protocol: 'udp', reliable: false, local: { address: '::1', port: 5062 } };
    for (const [over, sentBy] of [
      [flow, 'TCP 127.0.0.1:5060'],
      [udp6, 'UDP [::1]:5062'],
    ] as const) {
      const request = buildPushRequest(push(), over, D);
      const written = request.headers.getAll('via');
      expect(written).toEqual([`SIP/2.0/${sentBy};branch=${request.topVia?.branch};rport`]);
      expect([...request.headers][0]?.name).toBe('Via');
      expect(readViaList(written)).toEqual([request.topVia]);
      // A second one would leave the kept value stale: refused.
      expect(() => request.originateVia(originatingVia(over))).toThrow('already has a Via');
    }
  });

  it('takes Call-ID, branch and tag from the CSPRNG pool: no randomBytes call per push', () => {
    const randomBytes = jest.spyOn(crypto, 'randomBytes');
    const randomFillSync = jest.spyOn(crypto, 'randomFillSync');
    try {
      const requests = Array.from({ length: 100 }, () => buildPushRequest(push(), flow, D));
      expect(new Set(requests.map((request) => request.callId)).size).toBe(100);
      expect(new Set(requests.map((request) => request.topVia?.branch)).size).toBe(100);
      expect(randomBytes).not.toHaveBeenCalled();
      // 100 pushes draw 3,200 bytes: at most one refill of the 4 KB pool.
      expect(randomFillSync.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('builds a plain MESSAGE from the sender AOR, without Info-Package', () => {
    const request = buildPushRequest(
      push({ method: 'MESSAGE', contentType: 'text/plain', body: 'hi', fromUri: `sip:bob@${D}` }),
      flow,
      D,
    );
    expect(request.method).toBe('MESSAGE');
    expect(request.from?.uri.raw).toBe(`sip:bob@${D}`);
    expect(request.headers.has('Info-Package')).toBe(false);
  });
});

describe('PushSender', () => {
  let bus: FakeEventBus;
  let transport: FakeTransport;
  let sender: PushSender;

  beforeEach(() => {
    bus = new FakeEventBus();
    transport = new FakeTransport();
    sender = new PushSender(transport, new BusPublisher(bus, 5), 'edge-unit', D);
  });

  const outcomes = () => bus.published.map((record) => pushOutcomeV1.decode(record.value));

  it('resolves once the request is sent and publishes the outcome later', async () => {
    await sender.send(push());
    expect(transport.sent).toHaveLength(1);
    expect(bus.published).toEqual([]);
    const response = new SipResponse({ status: 200, reason: 'OK' });
    transport.finish({ kind: 'answered', statusCode: 200, response });
    await settled();
    expect(outcomes()).toEqual([
      expect.objectContaining({
        pushId: 'p-1',
        origin: 'auth',
        edgeId: 'edge-unit',
        outcome: 'answered',
        status: 200,
      }),
    ]);
    expect(bus.published[0].key).toBe(`sip:alice@${D}`);
  });

  it("marks the outcomes send() awaits as awaited by the frame's handling (the edge link sends them to Kafka), not the later ones", async () => {
    const marked: boolean[] = [];
    const publish = bus.publish.bind(bus);
    jest.spyOn(bus, 'publish').mockImplementation((records) => {
      marked.push(insideAwaitedPublish());
      return publish(records);
    });
    await sender.send(push());
    transport.finish({
      kind: 'answered',
      statusCode: 200,
      response: new SipResponse({ status: 200, reason: 'OK' }),
    });
    await settled();
    await sender.send(push()); // the same push again: answered from memory, awaited
    transport.flows.clear();
    await sender.send(push({ pushId: 'p-gone' })); // no-flow, awaited
    expect(outcomes().map((outcome) => outcome.outcome)).toEqual(['answered', 'answered', 'no-flow']);
    expect(marked).toEqual([false, true, true]);
  });

  it.each<[string, ClientTransactionOutcome<SipResponse>, object]>([
    [
      'a non-2xx final response as failed with its code',
      { kind: 'answered', statusCode: 486, response: new SipResponse({ status: 486, reason: 'Busy Here' }) },
      { outcome: 'failed', status: 486 },
    ],
    ['Timer F as timed-out', { kind: 'timed-out' }, { outcome: 'timed-out' }],
    [
      'a connection closed under the transaction as no-flow',
      { kind: 'transport-error', error: new TransportError('flow-closed', 'closed') },
      { outcome: 'no-flow' },
    ],
    [
      'another transport error as failed',
      { kind: 'transport-error', error: new TransportError('send-failed', 'EPIPE') },
      { outcome: 'failed' },
    ],
  ])('reports %s', async (_name, result, expected) => {
    await sender.send(push());
    transport.finish(result);
    await settled();
    expect(outcomes()).toEqual([expect.objectContaining(expected)]);
  });

  it("publishes each outcome to the topic of the service that requested the push (a NOTIFY's to presence)", async () => {
    const notify = notifyRequestedV1.decode(
      readFileSync(
        join(__dirname, '../../../../libs/contracts/fixtures/edge.outbound.v1/notify-requested.json'),
      ),
    );
    transport.flows.clear();
    await sender.send(push({ pushId: 'p-auth', origin: 'auth' }));
    await sender.send(push({ pushId: 'p-presence', origin: 'presence' }));
    await sender.send(push({ pushId: 'im-1', origin: 'im-router' }));
    await sender.send(notify);
    expect(bus.published.map((record) => [record.topic, pushOutcomeV1.decode(record.value).pushId])).toEqual([
      [SIP_PUSH_OUTCOME_AUTH_V1, 'p-auth'],
      [SIP_PUSH_OUTCOME_PRESENCE_V1, 'p-presence'],
      [SIP_PUSH_OUTCOME_IM_ROUTER_V1, 'im-1'],
      [SIP_PUSH_OUTCOME_PRESENCE_V1, notify.pushId],
    ]);
    expect(outcomes()[3]).toMatchObject({ outcome: 'no-flow', subscriptionId: notify.subscriptionId });
  });

  it('answers a push sent again under an id its device answered 2xx from memory, without sending it', async () => {
    await sender.send(push({ pushId: 'im-answered' }));
    transport.finish({
      kind: 'answered',
      statusCode: 200,
      response: new SipResponse({ status: 200, reason: 'OK' }),
    });
    await sender.send(push({ pushId: 'im-timed-out' }));
    transport.finish({ kind: 'timed-out' });
    await settled();

    await sender.send(push({ pushId: 'im-answered' }));
    await sender.send(push({ pushId: 'im-timed-out' }));

    expect(transport.sent).toHaveLength(3);
    expect(outcomes().map(({ pushId, outcome, status }) => [pushId, outcome, status])).toEqual([
      ['im-answered', 'answered', 200],
      ['im-timed-out', 'timed-out', undefined],
      ['im-answered', 'answered', 200],
    ]);
  });

  it("times a live IM answered 2xx from the push's liveImSentAt, without parsing the body it sent", async () => {
    const delivered = jest.spyOn(HeraldMetrics.prototype, 'imDelivered');
    const parse = jest.spyOn(JSON, 'parse');
    const sentAt = Date.parse('2026-01-02T03:04:05.000Z');
    jest.spyOn(Date, 'now').mockReturnValue(sentAt + 1_500);
    const body =
      '{"v":1,"id":"p-1","type":"im","messageId":"m-1","sentAt":"2026-01-02T03:04:04.000Z","offline":false}';
    try {
      await sender.send(push({ body, liveImSentAt: '2026-01-02T03:04:05.000Z' }));
      transport.finish({
        kind: 'answered',
        statusCode: 200,
        response: new SipResponse({ status: 200, reason: 'OK' }),
      });
      await settled();
      expect(delivered.mock.calls).toEqual([[1.5]]);
      expect(parse).not.toHaveBeenCalledWith(body);
      delivered.mockClear();
      // Without the field (a stored IM, any other push) nothing is timed, even for an `im` body.
      await sender.send(push({ pushId: 'p-2', body }));
      transport.finish({
        kind: 'answered',
        statusCode: 200,
        response: new SipResponse({ status: 200, reason: 'OK' }),
      });
      await settled();
      expect(delivered).not.toHaveBeenCalled();
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('publishes no outcome of a push whose origin wants none, yet sends, times and remembers it alike', async () => {
    const timeouts = jest.spyOn(HeraldMetrics.prototype, 'sipTransactionTimeout');
    try {
      await sender.send(push({ pushId: 'r-answered', outcomeWanted: false }));
      await sender.send(push({ pushId: 'r-timed-out', outcomeWanted: false }));
      transport.finish({
        kind: 'answered',
        statusCode: 200,
        response: new SipResponse({ status: 200, reason: 'OK' }),
      });
      transport.finish({ kind: 'timed-out' });
      await sender.settled();
      expect(transport.sent).toHaveLength(2);
      expect(timeouts).toHaveBeenCalledTimes(1);
      // Sent again: answered from memory (not sent), still without an outcome.
      await sender.send(push({ pushId: 'r-answered', outcomeWanted: false }));
      transport.flows.clear();
      await sender.send(push({ pushId: 'r-no-flow', outcomeWanted: false }));
      expect(transport.sent).toHaveLength(2);
      expect(bus.published).toEqual([]);
      // The same push with the flag true or absent (an earlier release's service) is reported.
      await sender.send(push({ pushId: 'r-wanted', outcomeWanted: true }));
      await sender.send(push({ pushId: 'r-earlier' }));
      expect(outcomes().map(({ pushId, outcome }) => [pushId, outcome])).toEqual([
        ['r-wanted', 'no-flow'],
        ['r-earlier', 'no-flow'],
      ]);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('reports no-flow when the flow is not held here, and throws if that cannot be published', async () => {
    transport.flows.clear();
    await sender.send(push());
    expect(transport.sent).toEqual([]);
    expect(outcomes()).toEqual([expect.objectContaining({ outcome: 'no-flow' })]);
    bus.down = true;
    await expect(sender.send(push({ pushId: 'p-2' }))).rejects.toBeInstanceOf(BusUnavailableError);
  });

  // A UDP flow is a source address: a new client that got a vanished device's port, and registered
  // there, must not get (and answer, as if delivered) a push meant for the vanished device.
  it('reports no-flow, sending nothing, when the flow now carries another registered device', async () => {
    transport.devices.set(FLOW_ID, { aor: `sip:bob@${D}`, deviceId: 'urn:uuid:bob-1' });
    await sender.send(push({ pushId: 'p-bob' }));
    transport.devices.set(FLOW_ID, { aor: `sip:alice@${D}`, deviceId: 'urn:uuid:dev-2' });
    await sender.send(push({ pushId: 'p-other-device' }));
    expect(transport.sent).toEqual([]);
    expect(outcomes()).toEqual([
      expect.objectContaining({ pushId: 'p-bob', outcome: 'no-flow' }),
      expect.objectContaining({ pushId: 'p-other-device', outcome: 'no-flow' }),
    ]);
    transport.devices.set(FLOW_ID, { aor: `sip:alice@${D}`, deviceId: 'urn:uuid:dev-1' });
    await sender.send(push({ pushId: 'p-alice' }));
    expect(transport.sent).toHaveLength(1);
  });

  // Seed 2026120614: an edge restarted under the same edge id holds no registration of its previous
  // process, whose pushes name flows like this one; the address may be another user's device now.
  describe('over a UDP flow this process holds no registration on', () => {
    const alice = { aor: `sip:alice@${D}`, deviceId: 'urn:uuid:dev-1' };
    const udpPush = (pushId: string) => push({ pushId, flowId: UDP_FLOW_ID });

    it('sends nothing until a REGISTER binds the flow, then sends to the push device', async () => {
      await sender.send(udpPush('p-1'));
      await sender.send(udpPush('p-2'));
      expect(transport.sent).toEqual([]);
      expect(sender.inProgress).toBe(2);
      transport.bind(UDP_FLOW_ID, alice);
      await settled();
      expect(transport.sent).toHaveLength(2);
      expect(outcomes()).toEqual([]);
    });

    it('reports no-flow, sending nothing, when the flow gets bound to another device', async () => {
      await sender.send(udpPush('p-1'));
      transport.bind(UDP_FLOW_ID, { aor: `sip:bob@${D}`, deviceId: 'urn:uuid:bob-1' });
      await sender.settled();
      expect(transport.sent).toEqual([]);
      expect(outcomes()).toEqual([expect.objectContaining({ pushId: 'p-1', outcome: 'no-flow' })]);
    });

    it('reports no-flow, sending nothing, when no REGISTER binds the flow in time', async () => {
      await sender.send(udpPush('p-1'));
      transport.clock.advance(BIND_WAIT_MS - 1);
      await settled();
      expect(outcomes()).toEqual([]);
      transport.clock.advance(1);
      await sender.settled();
      expect(transport.sent).toEqual([]);
      expect(outcomes()).toEqual([expect.objectContaining({ pushId: 'p-1', outcome: 'no-flow' })]);
      // The binding that comes later finds no push waiting.
      transport.bind(UDP_FLOW_ID, alice);
      await settled();
      expect(transport.sent).toEqual([]);
    });

    it('sends at once over a UDP flow bound here to the push device, and over a connection', async () => {
      transport.bind(UDP_FLOW_ID, alice);
      await sender.send(udpPush('p-udp'));
      // A connection is its client's alone: no registration needed (e.g. a REGISTER being decided).
      await sender.send(push({ pushId: 'p-tcp' }));
      expect(transport.sent).toHaveLength(2);
    });
  });
});

describe('PushSender: a push sent to no one', () => {
  const alice = { aor: `sip:alice@${D}`, deviceId: 'urn:uuid:dev-1' };
  let lines: Record<string, unknown>[];
  let restoreLog: () => void;
  let now: number;
  let bus: FakeEventBus;
  let transport: FakeTransport;
  let sender: PushSender;
  let dropped: jest.SpyInstance;

  beforeEach(() => {
    lines = [];
    // Before the sender: its logger is taken when it is made.
    restoreLog = logTo({ write: (line: string) => void lines.push(JSON.parse(line)) });
    now = Date.parse('2026-01-02T03:04:05.000Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    dropped = jest.spyOn(HeraldMetrics.prototype, 'sipPushDropped');
    bus = new FakeEventBus();
    transport = new FakeTransport();
    sender = new PushSender(transport, new BusPublisher(bus, 5), 'edge-unit', D);
  });

  afterEach(() => {
    restoreLog();
    jest.restoreAllMocks();
  });

  const warnings = () =>
    lines
      .filter((line) => line['level'] === 'warn')
      .map(({ code, pushId, suppressed }) => ({ code, pushId, suppressed }));

  it('is counted and logged by reason even when no one waits for its outcome', async () => {
    transport.flows.delete(FLOW_ID);
    await sender.send(push({ pushId: 'p-gone', outcomeWanted: false }));
    transport.flows.set(FLOW_ID, flow);
    transport.devices.set(FLOW_ID, { aor: `sip:bob@${D}`, deviceId: 'urn:uuid:bob-1' });
    await sender.send(push({ pushId: 'p-reused', outcomeWanted: false }));
    await sender.send(push({ pushId: 'p-unbound', flowId: UDP_FLOW_ID, outcomeWanted: false }));
    transport.clock.advance(BIND_WAIT_MS);
    await sender.settled();
    expect(transport.sent).toEqual([]);
    expect(bus.published).toEqual([]);
    expect(dropped.mock.calls).toEqual([['flow-gone'], ['flow-reused'], ['flow-unbound']]);
    expect(warnings()).toEqual([
      { code: 'EDGE_PUSH_FLOW_GONE', pushId: 'p-gone', suppressed: undefined },
      { code: 'EDGE_PUSH_FLOW_REUSED', pushId: 'p-reused', suppressed: undefined },
      { code: 'EDGE_PUSH_FLOW_UNBOUND', pushId: 'p-unbound', suppressed: undefined },
    ]);
    expect(lines[0]).toMatchObject({ flowId: FLOW_ID, method: 'INFO', origin: 'auth' });
  });

  it('is counted when its connection closed under the transaction', async () => {
    transport.bind(UDP_FLOW_ID, alice);
    await sender.send(push({ pushId: 'p-closed', flowId: UDP_FLOW_ID }));
    transport.finish({ kind: 'transport-error', error: new TransportError('flow-closed', 'closed') });
    await sender.settled();
    expect(dropped.mock.calls).toEqual([['flow-gone']]);
    expect(warnings()).toEqual([{ code: 'EDGE_PUSH_FLOW_GONE', pushId: 'p-closed', suppressed: undefined }]);
  });

  it('is logged once per reason per interval when they flood, each line saying how many it left out', async () => {
    transport.flows.delete(FLOW_ID);
    for (const pushId of ['p-1', 'p-2', 'p-3']) await sender.send(push({ pushId }));
    now += PUSH_DROP_LOG_INTERVAL_MS;
    await sender.send(push({ pushId: 'p-4' }));
    expect(dropped).toHaveBeenCalledTimes(4);
    expect(warnings()).toEqual([
      { code: 'EDGE_PUSH_FLOW_GONE', pushId: 'p-1', suppressed: undefined },
      { code: 'EDGE_PUSH_FLOW_GONE', pushId: 'p-4', suppressed: 2 },
    ]);
    // Every outcome is still published: the log is a sample, the outcomes and the metric are not.
    expect(bus.published).toHaveLength(4);
  });
});

describe('PushSender tracing', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const answered: ClientTransactionOutcome<SipResponse> = {
    kind: 'answered',
    statusCode: 200,
    response: new SipResponse({ status: 200, reason: 'OK' }),
  };

  afterEach(() => {
    trace.disable();
    exporter.reset();
    jest.restoreAllMocks();
  });

  async function sendAnswered(aorHashKey?: string): Promise<void> {
    const transport = new FakeTransport();
    const publisher = new BusPublisher(new FakeEventBus(), 5);
    const sender = new PushSender(transport, publisher, 'edge-unit', D, aorHashKey);
    await sender.send(push());
    transport.finish(answered);
    await settled();
  }

  it('gives a recorded push span the hashed target AOR', async () => {
    trace.setGlobalTracerProvider(provider);
    await sendAnswered();
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('SIP INFO');
    expect(span.attributes[SPAN_ATTRIBUTES.aorHash]).toBe(hashAor(`sip:alice@${D}`));
    expect(span.attributes[SPAN_ATTRIBUTES.sipResponseCode]).toBe(200);
  });

  it('keys the AOR hash with the configured key (HERALD_AOR_HASH_KEY)', async () => {
    trace.setGlobalTracerProvider(provider);
    await sendAnswered('per-deployment');
    const [span] = exporter.getFinishedSpans();
    expect(span.attributes[SPAN_ATTRIBUTES.aorHash]).toBe(hashAor(`sip:alice@${D}`, 'per-deployment'));
    expect(span.attributes[SPAN_ATTRIBUTES.aorHash]).not.toBe(hashAor(`sip:alice@${D}`));
  });

  it('does no hashing for a span that is not recorded', async () => {
    const createHmac = jest.spyOn(crypto, 'createHmac');
    await sendAnswered();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(createHmac).not.toHaveBeenCalled();
  });
});

describe('OutboundConsumer', () => {
  it('subscribes to its own topic in group herald-edge-<edgeId> and routes both event types', async () => {
    const bus = new FakeEventBus();
    const clock = new FakeClock();
    const pending = new PendingDecisions(clock);
    const transport = new FakeTransport();
    const consumer = new OutboundConsumer(
      bus,
      'edge-7',
      new PushSender(transport, new BusPublisher(bus, 5), 'edge-7', D),
      pending,
    );
    await consumer.start();
    expect(bus.subscription).toMatchObject({
      groupId: 'herald-edge-edge-7',
      topics: ['edge.edge-7.outbound.v1'],
    });
    const handler = bus.subscription?.handler;
    if (handler === undefined) throw new Error('not subscribed');
    const consumed = (record: { topic: string; key: string; value: Buffer }) =>
      handler({ ...record, headers: {}, partition: 0, offset: '0' });

    await consumed(edgeOutboundRecord('edge-7', push()));
    expect(transport.sent).toHaveLength(1);

    const waiting = pending.wait('register.decided', 'tx-1', 1_000);
    const decision = registerDecidedV1.build({
      txKey: 'tx-1',
      aor: `sip:alice@${D}`,
      status: 403,
      contacts: [],
    });
    await consumed(edgeOutboundRecord('edge-7', decision));
    expect(await waiting.decision).toMatchObject({ txKey: 'tx-1', status: 403 });

    // A decision nobody waits for and a record that breaks its contract are logged, not retried forever.
    await expect(consumed(edgeOutboundRecord('edge-7', decision))).resolves.toBeUndefined();
    await expect(
      consumed({ topic: 'edge.edge-7.outbound.v1', key: 'k', value: Buffer.from('{"type":"nonsense"}') }),
    ).resolves.toBeUndefined();
    await consumer.stop();
  });
});
