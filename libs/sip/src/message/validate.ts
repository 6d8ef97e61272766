import { headerDisplayName } from './header-names';
import { parseHeaderLine } from './header-access';
import { SipParseError } from './parse-error';
import { SipMessage } from './sip-message';
import { EAGER_HEADERS, isListHeaderKey, isSingleHeaderKey, SINGLE_HEADERS } from './typed-headers';

/**
 * Strict checks run by the parser: the Request-URI, every EAGER_HEADERS header present (each line
 * of a repeated single-valued header on its own, since repetition is for the layer above to answer,
 * RFC 4475 §3.3.8), and CSeq method = request method (RFC 4475 §3.1.2.17-18).
 */
export function validateMessage(message: SipMessage): void {
  if (message.kind === 'request') void message.requestUri;
  const checked: string[] = [];
  for (const { key } of message.headers) {
    if (!EAGER_HEADERS.has(key) || checked.includes(key)) continue;
    checked.push(key);
    if (isListHeaderKey(key)) {
      message.list(key);
    } else if (isSingleHeaderKey(key)) {
      const values = message.headers.getAll(key);
      if (values.length === 1) message.single(key);
      else for (const value of values) parseHeaderLine<unknown>(key, value, SINGLE_HEADERS[key]);
    }
  }
  if (message.kind === 'request' && message.headers.getAll('cseq').length === 1) {
    const cseq = message.cseq;
    if (cseq !== undefined && cseq.method !== message.method) {
      throw new SipParseError('SIP_CSEQ_METHOD_MISMATCH', 'CSeq method does not match the request method');
    }
  }
}

/**
 * What the layer above checks before processing a request (RFC 3261 §8.1.1, §8.2): a Via and exactly
 * one From, To, Call-ID and CSeq, at most one Content-Length. Throws SIP_MISSING_HEADER / SIP_BAD_HEADER.
 */
export function assertCoreHeaders(message: SipMessage): void {
  if (message.via.length === 0) throw new SipParseError('SIP_MISSING_HEADER', 'missing Via');
  for (const key of ['from', 'to', 'call-id', 'cseq'] as const) {
    if (message.single(key) === undefined) {
      throw new SipParseError('SIP_MISSING_HEADER', `missing ${headerDisplayName(key, key)}`);
    }
  }
  message.single('content-length');
}
