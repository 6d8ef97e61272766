import { DigestCredentials } from './authorization';
import { NonceCountTracker, isValidNonceCount } from './nonce-count';
import { NonceIssuer } from './nonce';

/**
 * What the edge can tell without the HA1: is the nonce ours and fresh, is nc new.
 * `stale` asks for a new challenge with stale=true; `invalid` and `replayed` for a fresh 401.
 */
export type DigestFreshness =
  | { verdict: 'fresh' }
  | { verdict: 'stale' }
  | { verdict: 'invalid'; reason: string }
  | { verdict: 'replayed' };

/** Edge-side digest check: nonce authenticity/age and nonce-count replay (RFC 7616 §3.3, §5.5). */
export class DigestFreshnessChecker {
  constructor(
    private readonly nonces: NonceIssuer,
    private readonly counts: NonceCountTracker,
  ) {}

  check(credentials: DigestCredentials, expectedRealm: string): DigestFreshness {
    if (credentials.realm !== expectedRealm) return { verdict: 'invalid', reason: 'realm mismatch' };
    if (credentials.qop !== 'auth') return { verdict: 'invalid', reason: 'qop must be auth' };
    if (credentials.nc === undefined || credentials.cnonce === undefined) {
      return { verdict: 'invalid', reason: 'nc and cnonce are required with qop=auth' };
    }
    if (!isValidNonceCount(credentials.nc)) {
      return { verdict: 'invalid', reason: 'malformed nc' };
    }
    const nonceVerdict = this.nonces.verify(credentials.nonce, expectedRealm);
    if (nonceVerdict === 'invalid') return { verdict: 'invalid', reason: 'unknown nonce' };
    if (nonceVerdict === 'stale') return { verdict: 'stale' };
    const issuedAt = this.nonces.issuedAt(credentials.nonce);
    if (issuedAt === undefined) return { verdict: 'invalid', reason: 'unknown nonce' };
    const countVerdict = this.counts.accept(credentials.nonce, issuedAt, credentials.nc);
    // A nonce whose counts may have been evicted gets a new challenge rather than a replay window.
    if (countVerdict === 'forgotten') return { verdict: 'stale' };
    return countVerdict === 'accepted' ? { verdict: 'fresh' } : { verdict: 'replayed' };
  }
}
