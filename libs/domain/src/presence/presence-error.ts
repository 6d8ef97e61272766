import type { ErrorCode } from '#herald/contracts';

export type PresenceErrorCode =
  | 'PRESENCE_SELF_BUDDY'
  | 'PRESENCE_INVALID_USER'
  | 'PRESENCE_UNKNOWN_USER'
  | 'PRESENCE_ALREADY_IN_ROSTER'
  | 'PRESENCE_NOT_IN_ROSTER'
  | 'PRESENCE_NO_PENDING_REQUEST';

/** The wire error code of each domain error (protocol.md §3). */
const RESULT_CODES: Readonly<Record<PresenceErrorCode, ErrorCode>> = {
  PRESENCE_SELF_BUDDY: 'not-allowed',
  PRESENCE_INVALID_USER: 'bad-request',
  PRESENCE_UNKNOWN_USER: 'not-found',
  PRESENCE_ALREADY_IN_ROSTER: 'conflict',
  PRESENCE_NOT_IN_ROSTER: 'not-found',
  PRESENCE_NO_PENDING_REQUEST: 'not-found',
};

/**
 * A roster command that breaks a rule. Raised before the command writes anything, so the
 * command's transaction can still record the failure result.
 */
export class PresenceError extends Error {
  constructor(
    readonly code: PresenceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PresenceError';
  }

  get resultCode(): ErrorCode {
    return RESULT_CODES[this.code];
  }
}
