/** Stable codes of rejected messages; the edge maps each to a 400 (or drops the datagram). */
export type SipParseErrorCode =
  | 'SIP_BAD_START_LINE'
  | 'SIP_BAD_VERSION'
  | 'SIP_BAD_STATUS_CODE'
  | 'SIP_BAD_URI'
  | 'SIP_BAD_HEADER'
  | 'SIP_MISSING_HEADER'
  | 'SIP_CSEQ_METHOD_MISMATCH'
  | 'SIP_CONTENT_LENGTH_MISMATCH'
  | 'SIP_MISSING_CONTENT_LENGTH'
  | 'SIP_MESSAGE_TOO_LARGE'
  | 'SIP_TOO_MANY_HEADERS'
  | 'SIP_LINE_TOO_LONG'
  | 'SIP_TRUNCATED';

/**
 * What could be read of the headers a 400 response needs (RFC 3261 §8.2.6): raw values, undefined
 * when absent or unreadable. `via` holds every Via value in order.
 */
export interface PartialMessage {
  readonly method: string | undefined;
  readonly via: readonly string[];
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly callId: string | undefined;
  readonly cseq: string | undefined;
}

export class SipParseError extends Error {
  /** Short, safe for a reason phrase. */
  readonly reason: string;

  constructor(
    readonly code: SipParseErrorCode,
    reason: string,
    /** Filled by the parser once the header block has been indexed; absent for framing errors. */
    readonly partial?: PartialMessage,
  ) {
    super(`${code}: ${reason}`);
    this.name = 'SipParseError';
    this.reason = reason;
  }

  /** A copy carrying the partial headers (errors raised deep in a header parser do not know them). */
  withPartial(partial: PartialMessage): SipParseError {
    return new SipParseError(this.code, this.reason, partial);
  }
}
