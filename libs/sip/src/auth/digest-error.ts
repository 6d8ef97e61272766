/** Stable codes for every digest failure, so callers can map them to SIP responses. */
export type DigestErrorCode =
  'digest-malformed-header' | 'digest-unsupported-algorithm' | 'digest-unsupported-qop' | 'digest-invalid-nc';

export class DigestError extends Error {
  constructor(
    readonly code: DigestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DigestError';
  }
}
