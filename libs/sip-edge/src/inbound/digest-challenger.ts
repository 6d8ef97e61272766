import { buildDigestChallenges, NonceIssuer, SipRequest, SipResponse } from '#herald/sip';
import { responseTo } from '../sip/responses';

/** Builds the 401 of protocol.md §1: two Digest challenges, SHA-256 then MD5, qop="auth" (RFC 8760 §2.4). */
export class DigestChallenger {
  constructor(
    /** The realm is the SIP domain D. */
    readonly realm: string,
    private readonly nonces: NonceIssuer,
  ) {}

  /** RFC 3261 §22.1 / RFC 7616 §3.3: a fresh nonce; `stale` when the old one was valid but expired. */
  challenge(request: SipRequest, options: { stale?: boolean } = {}): SipResponse {
    const challenges = buildDigestChallenges({
      realm: this.realm,
      nonce: this.nonces.issue(this.realm),
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
