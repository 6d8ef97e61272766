import { createHash } from 'node:crypto';
import {
  type CommandReceivedV1,
  type PushOutcomeV1,
  pushOutcomeV1,
  type PushRequestedV1,
  type RegisterRequestedV1,
  RegisterRequestedV1Schema,
} from '../src';
import FIRST_REGISTER_JSON from '../fixtures/sip.register-requested.v1/first-register.json';

/**
 * Events as the SIP edge publishes them, for the integration tests and the bench that drive the
 * services without an edge. Not built into dist with the apps: the bench's own tsconfig compiles it.
 */

/** The edge the fixtures' devices are registered at. */
export const FIXTURE_EDGE_ID = 'edge-0';

/** A registered device as the edge knows it. */
export interface FixtureDevice {
  aor: string;
  deviceId: string;
  /** Its Contact URI. */
  contact: string;
  /** The flow it registered over. */
  flowId: string;
}

let commandCount = 0;

/** A client command (protocol.md §5) from `device` as the edge forwards it; each gets its own Call-ID. */
export function commandReceived(
  device: FixtureDevice,
  envelope: { id: string; type: string } & Record<string, unknown>,
  carrier: CommandReceivedV1['carrier'] = 'INFO',
): CommandReceivedV1 {
  commandCount += 1;
  const at = new Date().toISOString();
  return {
    v: 1,
    type: 'sip.command-received',
    at,
    edgeId: FIXTURE_EDGE_ID,
    flowId: device.flowId,
    deviceId: device.deviceId,
    contact: device.contact,
    aor: device.aor,
    carrier,
    callId: `cmd-${commandCount}`,
    receivedAt: at,
    envelope: { v: 1, ...envelope },
  };
}

/** The edge's report that the device answered `push` with 200 OK. */
export function answeredOutcome(push: PushRequestedV1): PushOutcomeV1 {
  return pushOutcomeV1.build({
    pushId: push.pushId,
    origin: push.origin,
    aor: push.aor,
    deviceId: push.deviceId,
    edgeId: FIXTURE_EDGE_ID,
    outcome: 'answered',
    status: 200,
  });
}

/** The contract's example REGISTER (libs/contracts/fixtures), checked against its schema. */
const FIRST_REGISTER: RegisterRequestedV1 = RegisterRequestedV1Schema.parse(FIRST_REGISTER_JSON);

type DigestAlgorithm = NonNullable<RegisterRequestedV1['digest']>['algorithm'];

/** H() of RFC 7616 §3.4.1, computed here independently of libs/sip. */
function h(algorithm: DigestAlgorithm, data: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(data)
    .digest('hex');
}

export interface RegisterFixtureOptions {
  domain: string;
  username: string;
  password: string;
  algorithm?: DigestAlgorithm;
  /** Absent: the example's one contact. */
  contacts?: RegisterRequestedV1['contacts'];
  star?: boolean;
  expires?: number;
  /** Absent: `call-<username>`, one per user, as a phone keeps its Call-ID across refreshes. */
  callId?: string;
}

let registerCount = 0;

/** A REGISTER as the edge forwards it (the contract's example), its digest computed per RFC 7616. */
export function registerRequested(options: RegisterFixtureOptions): RegisterRequestedV1 {
  const { domain, username, password, algorithm = 'SHA-256' } = options;
  registerCount += 1;
  const nonce = `nonce-${registerCount}`;
  const nc = '00000001';
  const cnonce = `cnonce-${registerCount}`;
  const uri = `sip:${domain}`;
  const ha1 = h(algorithm, `${username}:${domain}:${password}`);
  const ha2 = h(algorithm, `REGISTER:${uri}`);
  const response = h(algorithm, `${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return {
    ...FIRST_REGISTER,
    at: new Date().toISOString(),
    txKey: `z9hG4bK-${registerCount}`,
    aor: `sip:${username}@${domain}`,
    callId: options.callId ?? `call-${username}`,
    cseq: registerCount,
    contacts: options.contacts ?? FIRST_REGISTER.contacts,
    star: options.star ?? false,
    expires: options.expires ?? FIRST_REGISTER.expires,
    digest: { username, realm: domain, nonce, uri, response, algorithm, qop: 'auth', nc, cnonce },
  };
}
