import {
  CONTACT_PARAMS_MAX_LENGTH,
  CONTACT_URI_MAX_LENGTH,
  DEVICE_ID_MAX_LENGTH,
  LIMITS,
  registerDecidedV1,
  RegisterRequestedV1Schema,
} from '#herald/contracts';
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

const flow = fakeFlow({ protocol: 'tcp', remote: { address: '127.0.0.1', port: 40000 }, id: 'tcp:9' });

let sequence = 0;

interface RegisterOptions {
  user?: string;
  contact?: string;
  authorization?: string;
}

function registerRequest(options: RegisterOptions): SipRequest {
  sequence += 1;
  const aor = `sip:${options.user ?? 'alice'}@${D}`;
  return parseRequest([
    `REGISTER sip:${D} SIP/2.0`,
    `Via: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bK-reg-${sequence}`,
    'Max-Forwards: 70',
    `From: <${aor}>;tag=reg-tag`,
    `To: <${aor}>`,
    'Call-ID: reg-1@127.0.0.1',
    `CSeq: ${sequence} REGISTER`,
    `Contact: ${options.contact ?? '<sip:alice@127.0.0.1:40000;transport=tcp>'}`,
    'Expires: 600',
    ...(options.authorization === undefined ? [] : [`Authorization: ${options.authorization}`]),
    'Content-Length: 0',
    '',
    '',
  ]);
}

/** Credentials the edge takes as fresh (it cannot check the response: auth holds the HA1). */
function authorization(challenge: SipResponse, user: string, fields: { username?: string } = {}): string {
  const nonce = challenge.wwwAuthenticate[0]?.params.get('nonce') ?? '';
  const username = fields.username ?? user;
  return `Digest username="${username}", realm="${D}", nonce="${nonce}", uri="sip:${D}", response="${'a'.repeat(64)}", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c${sequence}"`;
}

/**
 * sip.register-requested is built without validation (issue 10): what the edge takes in is
 * bounded before the build, so every event it publishes passes the schema auth decodes with, and
 * what is over a bound gets a precise answer instead of an event auth would refuse.
 */
describe('sip.register-requested as the edge builds it', () => {
  let bus: FakeEventBus;
  let core: EdgeCore;

  beforeEach(() => {
    bus = new FakeEventBus();
    core = createEdgeCore(bus, unitEdgeConfig(), new FakeClock(UNIT_START_MS), () => {});
  });

  /** REGISTER, 401, REGISTER with credentials; resolves with the final response and what was published. */
  async function register(options: RegisterOptions & { username?: string }) {
    const user = options.user ?? 'alice';
    const challenge = await sendThrough(core, registerRequest(options), flow);
    expect(challenge.status).toBe(401);
    const answered = sendThrough(
      core,
      registerRequest({ ...options, authorization: authorization(challenge, user, options) }),
      flow,
    );
    await new Promise((resolve) => setImmediate(resolve));
    const published = bus.published.map((record) => JSON.parse(record.value.toString('utf8')) as unknown);
    for (const event of published) {
      const { txKey, aor } = RegisterRequestedV1Schema.parse(event);
      core.pending.resolve(registerDecidedV1.build({ txKey, aor, status: 401, contacts: [] }));
    }
    return { response: await answered, published };
  }

  it('publishes an event that passes the schema with every Contact field at its bound', async () => {
    const user = 'u'.repeat(LIMITS.uriLength - `sip:@${D}`.length);
    const uri = `sip:alice@127.0.0.1:40000;x=${'c'.repeat(CONTACT_URI_MAX_LENGTH)}`.slice(
      0,
      CONTACT_URI_MAX_LENGTH,
    );
    const prefix = ';+sip.instance="<urn:';
    const instanceLength = CONTACT_PARAMS_MAX_LENGTH - prefix.length - 2;
    const contact = `<${uri}>${prefix}${'i'.repeat(instanceLength)}>"`;
    const { published } = await register({ user, contact });
    expect(published).toHaveLength(1);
    const parsed = RegisterRequestedV1Schema.safeParse(published[0]);
    expect(parsed.error).toBeUndefined();
    expect(parsed.data?.contacts[0]?.params).toHaveLength(CONTACT_PARAMS_MAX_LENGTH);
  });

  it.each([
    [
      'a Contact URI',
      `<sip:alice@127.0.0.1;x=${'c'.repeat(CONTACT_URI_MAX_LENGTH)}>`,
      'Contact URI over 1024 characters',
    ],
    [
      'a +sip.instance',
      `<sip:alice@127.0.0.1>;+sip.instance="<urn:${'i'.repeat(DEVICE_ID_MAX_LENGTH)}>"`,
      `+sip.instance must be 1-${DEVICE_ID_MAX_LENGTH} characters`,
    ],
    [
      'an empty +sip.instance',
      '<sip:alice@127.0.0.1>;+sip.instance=""',
      '+sip.instance must be 1-1024 characters',
    ],
    [
      'Contact parameters',
      `<sip:alice@127.0.0.1>;reg-id=1;x=${'p'.repeat(CONTACT_PARAMS_MAX_LENGTH)}`,
      'Contact parameters over 1024 characters',
    ],
  ])('answers 400 to %s over its bound and publishes nothing', async (_name, contact, problem) => {
    const { response, published } = await register({ contact });
    expect([response.status, response.reason]).toEqual([400, `Bad Request (${problem})`]);
    expect(published).toEqual([]);
  });

  it('answers 404 to an AOR longer than an AOR may be and publishes nothing', async () => {
    const user = 'u'.repeat(LIMITS.uriLength);
    const response = await sendThrough(core, registerRequest({ user }), flow);
    expect([response.status, response.reason]).toEqual([404, 'Not Found (not a valid AOR)']);
    expect(bus.published).toEqual([]);
  });

  it('answers 400 Malformed Authorization to an empty username and publishes nothing', async () => {
    const { response, published } = await register({ username: '' });
    expect([response.status, response.reason]).toEqual([400, 'Malformed Authorization']);
    expect(published).toEqual([]);
  });

  it('answers 400 to a REGISTER on a connection without a peer address', async () => {
    const reset = fakeFlow({ protocol: 'tcp', remote: { address: '', port: 0 }, id: 'tcp:reset' });
    const challenge = await sendThrough(core, registerRequest({}), reset);
    const response = await sendThrough(
      core,
      registerRequest({ authorization: authorization(challenge, 'alice') }),
      reset,
    );
    expect([response.status, response.reason]).toEqual([
      400,
      'Bad Request (connection without a peer address)',
    ]);
    expect(bus.published).toEqual([]);
  });
});
