import { createHash } from 'node:crypto';
import { DigestError } from './digest-error';

/** The digest algorithms Herald offers (RFC 8760 §2: SHA-256; RFC 7616 §3.2: MD5 for old clients). */
export type DigestAlgorithm = 'SHA-256' | 'MD5';

/** The algorithms Herald can verify, in its default preference order (RFC 7616 §3.7: most preferred first). */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

const NODE_HASH_NAME: Record<DigestAlgorithm, string> = { 'SHA-256': 'sha256', MD5: 'md5' };

/** Parses an `algorithm=` value; RFC 7616 §3.3: absent means MD5, names are case-insensitive. */
export function parseDigestAlgorithm(value: string | undefined): DigestAlgorithm {
  if (value === undefined) return 'MD5';
  const upper = value.toUpperCase();
  const known = DIGEST_ALGORITHMS.find((algorithm) => algorithm === upper);
  if (known === undefined) {
    throw new DigestError('digest-unsupported-algorithm', `unsupported digest algorithm "${value}"`);
  }
  return known;
}

/** H(data) of RFC 7616 §3.4.1, lower-case hex. */
export function digestHash(algorithm: DigestAlgorithm, data: string): string {
  return createHash(NODE_HASH_NAME[algorithm]).update(data, 'utf8').digest('hex');
}

/** HA1 = H(username ":" realm ":" password) (RFC 7616 §3.4.2, non-session algorithms). */
export function ha1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}
