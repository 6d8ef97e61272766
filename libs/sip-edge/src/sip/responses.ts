import { createResponse, SipRequest, SipResponse } from '#herald/sip';

/** Longest reason phrase the edge writes: phrases may carry a client's input (envelope problems). */
const MAX_REASON_LENGTH = 200;

/** A reason phrase is one line of text (RFC 3261 §25.1 Reason-Phrase): no CR/LF from a client's input can leak. */
export function safeReasonPhrase(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').slice(0, MAX_REASON_LENGTH);
}

/** A response to `request` (RFC 3261 §8.2.6), with the standard reason phrase unless one is given. */
export function responseTo(
  request: SipRequest,
  status: number,
  reason?: string,
  headers: ReadonlyArray<readonly [string, string]> = [],
): SipResponse {
  return createResponse(request, status, {
    ...(reason === undefined ? {} : { reason: safeReasonPhrase(reason) }),
    headers,
  });
}

/** 503 with Retry-After (RFC 3261 §21.5.4): the client tries again later or at another edge. */
export function serviceUnavailable(
  request: SipRequest,
  reason: string,
  retryAfterSeconds: number,
): SipResponse {
  return responseTo(request, 503, reason, [['Retry-After', String(retryAfterSeconds)]]);
}
