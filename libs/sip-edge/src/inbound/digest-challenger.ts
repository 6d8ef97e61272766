import { buildDigestChallenges, DigestAlgorithm, NonceIssuer, SipRequest, SipResponse } from '#herald/sip';
import { responseTo } from '../sip/responses';

/**
 * Builds the 401 of protocol.md §1: one Digest challenge per configured algorithm, in the
 * configured order (default SHA-256 then MD5), qop="auth" (RFC 8760 §2.4).
 */
export class DigestChallenger {
  constructor(
    /** The realm is the SIP domain D. */
    readonly realm: string,
    private readonly nonces: NonceIssuer,
    /** HERALD_DIGEST_ALGORITHMS: the algorithms offered, most preferred first. */
    readonly algorithms: readonly DigestAlgorithm[],
  ) {}

  /** RFC 7616 §3.4: credentials must answer one of the challenges sent, not an algorithm left out. */
  offers(algorithm: DigestAlgorithm): boolean {
    return this.algorithms.includes(algorithm);
  }

  /** RFC 3261 §22.1 / RFC 7616 §3.3: a fresh nonce; `stale` when the old one was valid but expired. */
  challenge(request: SipRequest, options: { stale?: boolean } = {}): SipResponse {
    const challenges = buildDigestChallenges({
      realm: this.realm,
      nonce: this.nonces.issue(this.realm),
      algorithms: this.algorithms,
      stale: options.stale === true,
    });
    return responseTo(
      request,
      401,
      undefined,
      challenges.map((value) => ['WWW-Authenticate', value] as const),
    );
  }
}
