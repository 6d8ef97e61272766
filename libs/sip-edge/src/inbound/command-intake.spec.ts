import {
  CommandReceivedV1Schema,
  CONTACT_URI_MAX_LENGTH,
  DEVICE_ID_MAX_LENGTH,
  LIMITS,
} from '#herald/contracts';
import { FakeClock, SipRequest } from '#herald/sip';
import { createEdgeCore, EdgeCore } from '../edge-core';
import {
  fakeFlow,
  parseRequest,
  sendThrough,
  UNIT_DOMAIN as D,
  UNIT_START_MS,
  unitEdgeConfig,
} from '../../testing/edge-core-fixture';
import { FakeEventBus } from '../../testing/fake-event-bus';

const ALICE = `sip:alice@${D}`;
const flow = fakeFlow({ protocol: 'tcp', remote: { address: '127.0.0.1', port: 40000 }, id: 'tcp:7' });

let sequence = 0;

function request(method: 'INFO' | 'MESSAGE', contentType: string, body: string, uri = ALICE): SipRequest {
  sequence += 1;
  return parseRequest([
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bK-cmd-${sequence}`,
    'Max-Forwards: 70',
    `From: <${ALICE}>;tag=cmd-tag`,
    `To: <${uri}>`,
    `Call-ID: cmd-${sequence}@127.0.0.1`,
    `CSeq: ${sequence} ${method}`,
    ...(method === 'INFO' ? ['Info-Package: herald'] : []),
    `Content-Type: ${contentType}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ]);
}

/**
 * sip.command-received is built without validation (issue 10): these check that what the edge
 * builds from a binding at the bounds the REGISTER path enforces passes the contract's schema.
 */
describe('sip.command-received as the edge builds it', () => {
  let bus: FakeEventBus;
  let core: EdgeCore;

  beforeEach(() => {
    bus = new FakeEventBus();
    core = createEdgeCore(
      bus,
      unitEdgeConfig({ maxBodyBytes: 4096 }),
      new FakeClock(UNIT_START_MS),
      () => {},
    );
    const contact = `sip:alice@127.0.0.1:40000;transport=tcp;x=${'c'.repeat(CONTACT_URI_MAX_LENGTH)}`.slice(
      0,
      CONTACT_URI_MAX_LENGTH,
    );
    core.registry.bind({
      flowId: flow.id,
      aor: ALICE,
      deviceId: `<urn:${'d'.repeat(DEVICE_ID_MAX_LENGTH - 6)}>`,
      contact,
      expiresAt: UNIT_START_MS + 600_000,
    });
  });

  /** The one published event, through the schema consumers decode with. */
  function publishedEvent(): unknown {
    expect(bus.published).toHaveLength(1);
    const parsed = CommandReceivedV1Schema.safeParse(JSON.parse(bus.published[0]!.value.toString('utf8')));
    expect(parsed.error).toBeUndefined();
    return parsed.data;
  }

  it.each([
    ['a command', '{"v":1,"id":"c-1","type":"presence.set","status":"away"}'],
    ['an unknown type', '{"v":1,"id":"c-2","type":"later.command","x":[1]}'],
    ['a command with bad fields', '{"v":1,"id":"c-3","type":"presence.set","status":42}'],
    ['an envelope id at its limit', `{"v":1,"id":"${'i'.repeat(LIMITS.idLength)}","type":"logout"}`],
  ])('passes the schema for %s over INFO', async (_name, body) => {
    const response = await sendThrough(core, request('INFO', 'application/vnd.herald+json', body), flow);
    expect(response.status).toBe(200);
    expect(publishedEvent()).toMatchObject({ carrier: 'INFO', aor: ALICE, flowId: flow.id });
  });

  it('passes the schema for a plain text MESSAGE (carrier MESSAGE-PLAIN)', async () => {
    const response = await sendThrough(core, request('MESSAGE', 'text/plain', 'hello', `sip:bob@${D}`), flow);
    expect(response.status).toBe(200);
    expect(publishedEvent()).toMatchObject({ carrier: 'MESSAGE-PLAIN', envelope: { type: 'im.send' } });
  });
});
