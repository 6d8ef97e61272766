import { type EncodedRecord, publishDecidedV1, publishRequestedV1 } from '#herald/contracts';
import { FakeClock, type SipRequest } from '#herald/sip';
import { parseRequest } from '../../testing/edge-core-fixture';
import { FakeEventBus } from '../../testing/fake-event-bus';
import { BusPublisher } from './bus-publisher';
import { PendingDecisions } from './pending-decisions';
import { ServiceDecisions } from './service-decisions';

const TIMEOUTS = { register: 1_000, publish: 2_000, subscribe: 3_000 };
const RETRY_AFTER_SECONDS = 9;
const AOR = 'sip:alice@herald.test';

function publishRequest(): SipRequest {
  return parseRequest([
    `PUBLISH ${AOR} SIP/2.0`,
    'Via: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bK-pub-1',
    'Max-Forwards: 70',
    `From: <${AOR}>;tag=p1`,
    `To: <${AOR}>`,
    'Call-ID: pub-1@127.0.0.1',
    'CSeq: 1 PUBLISH',
    'Event: presence',
    'Content-Length: 0',
    '',
    '',
  ]);
}

/** presence's decision for tx-1: accepted. */
function publishAccepted() {
  return publishDecidedV1.build({ txKey: 'tx-1', aor: AOR, status: 200, etag: 'e1', expires: 600 });
}

function setUp() {
  const clock = new FakeClock();
  const bus = new FakeEventBus();
  const pending = new PendingDecisions(clock);
  const decisions = new ServiceDecisions(TIMEOUTS, pending, new BusPublisher(bus, RETRY_AFTER_SECONDS), () =>
    clock.now(),
  );
  const record = (): EncodedRecord =>
    publishRequestedV1.record(
      publishRequestedV1.build({
        edgeId: 'edge-unit',
        txKey: 'tx-1',
        flowId: 'tcp:1',
        aor: AOR,
        deviceId: 'd-1',
        callId: 'pub-1@127.0.0.1',
        expires: 600,
        state: { basic: 'open' },
        deadline: decisions.deadline('publish'),
      }),
    );
  return { clock, bus, pending, decisions, record };
}

describe('ServiceDecisions', () => {
  it("puts the kind's own timeout in the deadline", () => {
    const { clock, decisions } = setUp();
    expect(decisions.deadline('register')).toBe(new Date(clock.now() + 1_000).toISOString());
    expect(decisions.deadline('publish')).toBe(new Date(clock.now() + 2_000).toISOString());
    expect(decisions.deadline('subscribe')).toBe(new Date(clock.now() + 3_000).toISOString());
  });

  it('publishes the request and returns the decision the service sent for its transaction', async () => {
    const { bus, pending, decisions, record } = setUp();
    const asking = decisions.ask('publish', publishRequest(), 'tx-1', record(), AOR);
    await new Promise((resolve) => setImmediate(resolve));
    expect(bus.published.map((published) => published.topic)).toEqual(['sip.publish-requested.v1']);
    const decided = publishAccepted();
    expect(pending.resolve(decided)).toBe(true);
    await expect(asking).resolves.toEqual({ decision: decided });
  });

  it("returns the service's decision as soon as it comes, the request's publish still in flight", async () => {
    // Over the edge link a publish resolves once the service handled the request, after its decision.
    const { bus, pending, decisions, record } = setUp();
    bus.holdAcks = true;
    const asking = decisions.ask('publish', publishRequest(), 'tx-1', record(), AOR);
    await new Promise((resolve) => setImmediate(resolve));
    const decided = publishAccepted();
    expect(pending.resolve(decided)).toBe(true);
    await expect(asking).resolves.toEqual({ decision: decided });
    bus.releaseAcks();
  });

  it('answers 503 when no decision comes within its timeout, the publish still in flight', async () => {
    const { bus, clock, decisions, record } = setUp();
    bus.holdAcks = true;
    const asking = decisions.ask('publish', publishRequest(), 'tx-1', record(), AOR);
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(TIMEOUTS.publish);
    const asked = await asking;
    if (!('unavailable' in asked)) throw new Error('expected a 503');
    expect(asked.unavailable.reason).toBe('Service Unavailable (presence did not answer)');
    bus.releaseAcks();
  });

  it('answers 503 with Retry-After once its own kind times out, not another kind', async () => {
    const { clock, decisions, record } = setUp();
    let settled = false;
    const asking = decisions.ask('publish', publishRequest(), 'tx-1', record(), AOR).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(TIMEOUTS.register);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    clock.advance(TIMEOUTS.publish - TIMEOUTS.register);
    const asked = await asking;
    if (!('unavailable' in asked)) throw new Error('expected a 503');
    expect(asked.unavailable.status).toBe(503);
    expect(asked.unavailable.reason).toBe('Service Unavailable (presence did not answer)');
    expect(asked.unavailable.retryAfter?.seconds).toBe(RETRY_AFTER_SECONDS);
  });

  it('answers 503 at once, waiting for nothing, when the bus refuses the request', async () => {
    const { bus, pending, decisions, record } = setUp();
    bus.down = true;
    const asked = await decisions.ask('publish', publishRequest(), 'tx-1', record(), AOR);
    if (!('unavailable' in asked)) throw new Error('expected a 503');
    expect(asked.unavailable.status).toBe(503);
    expect(pending.size).toBe(0);
  });
});
