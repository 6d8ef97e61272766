import { randomString } from '../random-pool';
import { PartialMessage } from './parse-error';
import { reasonPhrase } from './reason-phrases';
import { SipRequest, SipResponse } from './sip-message';

/** Random bytes in a tag: 64 bits, well over the 32 RFC 3261 §19.3 asks for. */
const TAG_BYTES = 8;
const HAS_TAG = /;[ \t]*tag[ \t]*=/i;

/** A fresh From/To tag (RFC 3261 §19.3). */
export function newTag(): string {
  return randomString(TAG_BYTES, 'hex');
}

export interface ResponseOptions {
  /** Reason phrase; the standard one for the code by default. */
  reason?: string;
  /** To tag to add when the request's To has none (a fresh one by default). Ignored for 100. */
  toTag?: string;
  /** Extra headers, after the copied ones (Contact, WWW-Authenticate, Retry-After …). */
  headers?: Iterable<readonly [string, string]>;
  body?: Buffer | string;
}

/**
 * A response built from the raw values RFC 3261 §8.2.6.2 copies: every Via in order, From, To
 * (with a tag added unless it has one or this is 100 Trying), Call-ID and CSeq.
 */
export function createResponseFrom(
  copied: PartialMessage,
  status: number,
  options: ResponseOptions = {},
): SipResponse {
  const response = new SipResponse({
    status,
    reason: options.reason ?? reasonPhrase(status),
    body: options.body,
  });
  const headers = response.headers;
  for (const via of copied.via) headers.add('Via', via);
  if (copied.from !== undefined) headers.add('From', copied.from);
  if (copied.to !== undefined) {
    const needsTag = status > 100 && !HAS_TAG.test(copied.to);
    headers.add('To', needsTag ? `${copied.to};tag=${options.toTag ?? newTag()}` : copied.to);
  }
  if (copied.callId !== undefined) headers.add('Call-ID', copied.callId);
  if (copied.cseq !== undefined) headers.add('CSeq', copied.cseq);
  for (const [name, value] of options.headers ?? []) headers.add(name, value);
  return response;
}

/** The raw header values a response copies from a request. */
export function responseFields(request: SipRequest): PartialMessage {
  const headers = request.headers;
  return {
    method: request.method,
    via: headers.getAll('via'),
    from: headers.get('from'),
    to: headers.get('to'),
    callId: headers.get('call-id'),
    cseq: headers.get('cseq'),
  };
}

/** A response to a parsed request (RFC 3261 §8.2.6); Content-Length is written on serialization. */
export function createResponse(
  request: SipRequest,
  status: number,
  options: ResponseOptions = {},
): SipResponse {
  return createResponseFrom(responseFields(request), status, options);
}
