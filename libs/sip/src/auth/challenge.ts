import { DigestAlgorithm } from './algorithm';

export interface DigestChallengeOptions {
  realm: string;
  nonce: string;
  /** One challenge per algorithm, in this order: the client takes the first it supports (RFC 7616 §3.7). */
  algorithms: readonly DigestAlgorithm[];
  opaque?: string;
  /** RFC 7616 §3.3: the previous nonce was valid but expired; the client retries without asking the user. */
  stale?: boolean;
}

/** Escapes a value for a quoted-string (RFC 3261 §25.1 quoted-pair). */
export function quoteDigestValue(value: string): string {
  return `"${value.replace(/["\\]/g, (character) => `\\${character}`)}"`;
}

/**
 * The `WWW-Authenticate` values Herald sends, one per algorithm in the configured order
 * (RFC 8760 §2.4, RFC 7616 §3.7), all with qop="auth".
 */
export function buildDigestChallenges(options: DigestChallengeOptions): string[] {
  return options.algorithms.map((algorithm) => {
    const params = [
      `realm=${quoteDigestValue(options.realm)}`,
      `nonce=${quoteDigestValue(options.nonce)}`,
      ...(options.opaque === undefined ? [] : [`opaque=${quoteDigestValue(options.opaque)}`]),
      `algorithm=${algorithm}`,
      'qop="auth"',
      ...(options.stale === true ? ['stale=true'] : []),
    ];
    return `Digest ${params.join(', ')}`;
  });
}
