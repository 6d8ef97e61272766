import { randomBytes } from 'node:crypto';
import { type DigestAlgorithm, ha1, parseDigestAlgorithm } from '../../../sip/src/auth/algorithm';
import { DigestError } from '../../../sip/src/auth/digest-error';
import { quoteDigestValue } from '../../../sip/src/auth/challenge';
import { computeDigestResponse } from '../../../sip/src/auth/response';
import type { AuthParams, SipResponse } from '../../../sip/src/message';

/** One Digest challenge of a 401, as a client keeps it to answer (and, in tests, to replay). */
export interface DigestChallenge {
  algorithm: DigestAlgorithm;
  realm: string;
  nonce: string;
  opaque?: string;
  stale: boolean;
}

export class DigestClientError extends Error {
  readonly code = 'SIP_CLIENT_NO_CHALLENGE';
}

/**
 * The challenge for `algorithm` among a 401's WWW-Authenticate values, or without one the first
 * challenge whose algorithm this client can compute (protocol.md §1: Herald orders them by preference).
 */
export function challengeFor(response: SipResponse, algorithm?: DigestAlgorithm): DigestChallenge {
  for (const auth of response.wwwAuthenticate) {
    if (auth.scheme.toLowerCase() !== 'digest') continue;
    const offered = knownAlgorithm(auth.params.get('algorithm'));
    if (offered !== undefined && (algorithm === undefined || offered === algorithm)) {
      return toChallenge(auth, offered);
    }
  }
  throw new DigestClientError(
    `no ${algorithm ?? 'SHA-256 or MD5'} challenge in ${response.status} ${response.reason}`,
  );
}

/** The algorithm of a challenge, or undefined for one this client cannot compute (skipped). */
function knownAlgorithm(value: string | undefined): DigestAlgorithm | undefined {
  try {
    return parseDigestAlgorithm(value);
  } catch (error) {
    if (error instanceof DigestError) return undefined;
    throw error;
  }
}

function toChallenge(auth: AuthParams, algorithm: DigestAlgorithm): DigestChallenge {
  const realm = auth.params.get('realm');
  const nonce = auth.params.get('nonce');
  if (realm === undefined || nonce === undefined) {
    throw new DigestClientError('digest challenge without realm or nonce');
  }
  const opaque = auth.params.get('opaque');
  return {
    algorithm,
    realm,
    nonce,
    ...(opaque === undefined ? {} : { opaque }),
    stale: auth.params.get('stale')?.toLowerCase() === 'true',
  };
}

export interface DigestAnswer {
  challenge: DigestChallenge;
  username: string;
  password: string;
  method: string;
  uri: string;
  /** Nonce count as a number; written as 8 hex digits (RFC 7616 §3.4). */
  nc: number;
  cnonce?: string;
}

/** The Authorization value answering a challenge with qop=auth (RFC 7616 §3.4). */
export function authorizationHeader(answer: DigestAnswer): string {
  const { challenge, username, password, method, uri } = answer;
  const nc = answer.nc.toString(16).padStart(8, '0');
  const cnonce = answer.cnonce ?? randomBytes(8).toString('hex');
  const response = computeDigestResponse({
    ha1: ha1(challenge.algorithm, username, challenge.realm, password),
    algorithm: challenge.algorithm,
    method,
    uri,
    nonce: challenge.nonce,
    nc,
    cnonce,
    qop: 'auth',
  });
  const params = [
    `username=${quoteDigestValue(username)}`,
    `realm=${quoteDigestValue(challenge.realm)}`,
    `nonce=${quoteDigestValue(challenge.nonce)}`,
    `uri=${quoteDigestValue(uri)}`,
    `response=${quoteDigestValue(response)}`,
    `algorithm=${challenge.algorithm}`,
    'qop=auth',
    `nc=${nc}`,
    `cnonce=${quoteDigestValue(cnonce)}`,
    ...(challenge.opaque === undefined ? [] : [`opaque=${quoteDigestValue(challenge.opaque)}`]),
  ];
  return `Digest ${params.join(', ')}`;
}
