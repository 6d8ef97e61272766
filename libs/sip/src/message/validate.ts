import { headerDisplayName } from './header-names';
import { parseHeaderLine } from './header-access';
import { NOT_CACHED, SipHeaders } from './headers';
import { CSeq } from './headers/cseq';
import { SipParseError } from './parse-error';
import { SipMessage } from './sip-message';
import {
  EAGER_HEADERS,
  isListHeaderKey,
  isSingleHeaderKey,
  LIST_HEADERS,
  ListHeaderKey,
  SINGLE_HEADERS,
  SingleHeaderKey,
} from './typed-headers';

/** An EAGER_HEADERS header, its parser's kind, and its index among them. */
type EagerHeader =
  | { readonly index: number; readonly kind: 'list'; readonly key: ListHeaderKey }
  | { readonly index: number; readonly kind: 'single'; readonly key: SingleHeaderKey };

function eagerHeader(key: string, index: number): EagerHeader {
  if (isListHeaderKey(key)) return { index, kind: 'list', key };
  if (isSingleHeaderKey(key)) return { index, kind: 'single', key };
  throw new Error(`eager header ${key} has no parser`);
}

/** Each eager header by lookup key, classified once (not per message). */
const EAGER_BY_KEY: ReadonlyMap<string, EagerHeader> = new Map(
  [...EAGER_HEADERS].map((key, index) => [key, eagerHeader(key, index)]),
);

/** An eager header present in a message and the values of its lines, in order. */
interface EagerLines {
  readonly header: EagerHeader;
  readonly values: string[];
}

/**
 * The eager headers present, in the order they first appear, with their lines: one pass over the
 * fields and one key lookup per field (rather than a lookup and a pass over the fields per header).
 */
function eagerLinesOf(message: SipMessage): EagerLines[] {
  const found: EagerLines[] = [];
  const byIndex: Array<EagerLines | undefined> = [];
  for (const { key, value } of message.headers) {
    const header = EAGER_BY_KEY.get(key);
    if (header === undefined) continue;
    const lines = byIndex[header.index];
    if (lines !== undefined) {
      lines.values.push(value);
      continue;
    }
    const first: EagerLines = { header, values: [value] };
    byIndex[header.index] = first;
    found.push(first);
  }
  return found;
}

/** Parses and caches a header's typed value; each line of a repeated single-valued header on its own. */
function checkLines({ header, values }: EagerLines, headers: SipHeaders): void {
  const key = header.key;
  if (header.kind === 'list') {
    headers.cache(key, parseHeaderLine<readonly string[], unknown>(key, values, LIST_HEADERS[header.key]));
  } else if (values.length === 1) {
    headers.cache(key, parseHeaderLine<string, unknown>(key, values[0], SINGLE_HEADERS[header.key]));
  } else {
    // Repetition is for the layer above to answer (RFC 4475 §3.3.8): nothing cached, so its
    // accessor reports it.
    for (const value of values) parseHeaderLine<string, unknown>(key, value, SINGLE_HEADERS[header.key]);
  }
}

/**
 * Strict checks run by the parser: the Request-URI, every EAGER_HEADERS header present (each line
 * of a repeated single-valued header on its own, since repetition is for the layer above to answer,
 * RFC 4475 §3.3.8), and CSeq method = request method (RFC 4475 §3.1.2.17-18). Headers are checked
 * in the order they first appear.
 */
export function validateMessage(message: SipMessage): void {
  if (message.kind === 'request') void message.requestUri;
  for (const lines of eagerLinesOf(message)) checkLines(lines, message.headers);
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
