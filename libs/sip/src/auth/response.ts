import { timingSafeEqual } from 'node:crypto';
import { DigestAlgorithm, digestHash } from './algorithm';
import { DigestError } from './digest-error';

/** Inputs of request-digest for qop=auth (RFC 7616 §3.4.1). */
export interface DigestResponseInput {
  ha1: string;
  algorithm: DigestAlgorithm;
  method: string;
  uri: string;
  nonce: string;
  nc: string;
  cnonce: string;
  qop: string;
}

export interface DigestResponseCheck extends DigestResponseInput {
  response: string;
}

/** response = KD(HA1, nonce:nc:cnonce:qop:H(method:uri)); only qop=auth is offered by Herald. */
export function computeDigestResponse(input: DigestResponseInput): string {
  if (input.qop !== 'auth') throw new DigestError('digest-unsupported-qop', `unsupported qop "${input.qop}"`);
  const ha2 = digestHash(input.algorithm, `${input.method}:${input.uri}`);
  return digestHash(
    input.algorithm,
    `${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`,
  );
}

/**
 * Timing-safe comparison of the client's response with the expected one; done where the HA1 lives.
 * Throws DigestError `digest-unsupported-qop` for a qop other than auth (the edge refuses those first).
 */
export function verifyDigestResponse(check: DigestResponseCheck): boolean {
  const expected = Buffer.from(computeDigestResponse(check), 'utf8');
  const actual = Buffer.from(check.response.toLowerCase(), 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
