import { headerDisplayName } from './header-names';
import { parseHeaderLine } from './header-access';
import { NOT_CACHED } from './headers';
import { CSeq } from './headers/cseq';
import { SipParseError } from './parse-error';
import { SipMessage } from './sip-message';
import {
  EAGER_HEADERS,
  isListHeaderKey,
  isSingleHeaderKey,
  ListHeaderKey,
  SINGLE_HEADERS,
  SingleHeaderKey,
} from './typed-headers';

/** An EAGER_HEADERS header, its parser's kind, and its bit in the sets of headers seen. */
type EagerHeader =
  | { readonly bit: number; readonly kind: 'list'; readonly key: ListHeaderKey }
  | { readonly bit: number; readonly kind: 'single'; readonly key: SingleHeaderKey };

function eagerHeader(key: string, bit: number): EagerHeader {
  if (isListHeaderKey(key)) return { bit, kind: 'list', key };
  if (isSingleHeaderKey(key)) return { bit, kind: 'single', key };
  throw new Error(`eager header ${key} has no parser`);
}

/** Each eager header by lookup key, classified once (not per message). */
const EAGER_BY_KEY: ReadonlyMap<string, EagerHeader> = new Map(
  [...EAGER_HEADERS].map((key, index) => [key, eagerHeader(key, 1 << index)]),
);

/** Bits of the eager headers present, and of those present more than once. */
function eagerHeadersSeen(message: SipMessage): { seen: number; repeated: number } {
  let seen = 0;
  let repeated = 0;
  for (const { key } of message.headers) {
    const eager = EAGER_BY_KEY.get(key);
    if (eager === undefined) continue;
    if ((seen & eager.bit) !== 0) repeated |= eager.bit;
    seen |= eager.bit;
  }
  return { seen, repeated };
}

/** Parses (and caches) a single-valued header present once, from the field already at hand. */
function checkSingle(message: SipMessage, key: SingleHeaderKey, value: string): void {
  const headers = message.headers;
  if (headers.cached(key) === NOT_CACHED) {
    headers.cache(key, parseHeaderLine<unknown>(key, value, SINGLE_HEADERS[key]));
  }
}

/** Each line of a repeated single-valued header on its own (repetition is the layer above's). */
function checkRepeated(message: SipMessage, key: SingleHeaderKey): void {
  for (const value of message.headers.getAll(key)) parseHeaderLine<unknown>(key, value, SINGLE_HEADERS[key]);
}

/**
 * Strict checks run by the parser: the Request-URI, every EAGER_HEADERS header present (each line
 * of a repeated single-valued header on its own, since repetition is for the layer above to answer,
 * RFC 4475 §3.3.8), and CSeq method = request method (RFC 4475 §3.1.2.17-18). Headers are checked
 * in the order they first appear.
 */
export function validateMessage(message: SipMessage): void {
  if (message.kind === 'request') void message.requestUri;
  const { seen, repeated } = eagerHeadersSeen(message);
  let checked = 0;
  for (const { key, value } of message.headers) {
    if ((seen & ~checked) === 0) break;
    const eager = EAGER_BY_KEY.get(key);
    if (eager === undefined || (checked & eager.bit) !== 0) continue;
    checked |= eager.bit;
    if (eager.kind === 'list') message.list(eager.key);
    else if ((repeated & eager.bit) === 0) checkSingle(message, eager.key, value);
    else checkRepeated(message, eager.key);
  }
  if (message.kind === 'request') {
    // Cached by the checks above exactly when there is one CSeq (a repeated one is the layer above's).
    const cseq = message.headers.cached('cseq') as CSeq | undefined | typeof NOT_CACHED;
    if (cseq !== NOT_CACHED && cseq !== undefined && cseq.method !== message.method) {
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
