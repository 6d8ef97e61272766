import { randomBytes } from 'node:crypto';
import {
  type AuthParams,
  computeDigestResponse,
  type DigestAlgorithm,
  ha1,
  parseDigestAlgorithm,
  quoteDigestValue,
  type SipResponse,
} from '#herald/sip';

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

/** The challenge for `algorithm` among a 401's WWW-Authenticate values (Herald sends SHA-256, MD5). */
export function challengeFor(response: SipResponse, algorithm: DigestAlgorithm): DigestChallenge {
  const challenges = response.wwwAuthenticate.filter((auth) => auth.scheme.toLowerCase() === 'digest');
  const chosen = challenges.find((auth) => parseDigestAlgorithm(auth.params.get('algorithm')) === algorithm);
  if (chosen === undefined) {
    throw new DigestClientError(`no ${algorithm} challenge in ${response.status} ${response.reason}`);
  }
  return toChallenge(chosen, algorithm);
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
