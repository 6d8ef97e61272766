import { headerDisplayName, KNOWN_HEADER_COUNT, headerOrdinal, UNKNOWN_HEADER } from './header-names';
import { parseHeaderLine, parseHeaderLines } from './header-access';
import { cacheSlot, NOT_CACHED, SipHeaders } from './headers';
import { CSeq } from './headers/cseq';
import { SipParseError } from './parse-error';
import { SipMessage } from './sip-message';
import {
  EAGER_HEADERS,
  isListHeaderKey,
  isSingleHeaderKey,
  LIST_HEADERS,
  SINGLE_HEADERS,
} from './typed-headers';

/** An EAGER_HEADERS header: its bit in the sets of headers seen, its cache slot and its parser. */
type EagerHeader = { readonly key: string; readonly bit: number; readonly slot: number } & (
  | { readonly kind: 'list'; readonly parse: (values: readonly string[]) => unknown }
  | { readonly kind: 'single'; readonly parse: (value: string) => unknown }
);

function eagerHeader(key: string, bit: number): EagerHeader {
  const slot = cacheSlot(key);
  if (isListHeaderKey(key)) return { key, bit, slot, kind: 'list', parse: LIST_HEADERS[key] };
  if (isSingleHeaderKey(key)) return { key, bit, slot, kind: 'single', parse: SINGLE_HEADERS[key] };
  throw new Error(`eager header ${key} has no parser`);
}

/** Each eager header by HeaderName.ordinal, classified once (not per message); undefined for the others. */
const EAGER_BY_ORDINAL: ReadonlyArray<EagerHeader | undefined> = ((): Array<EagerHeader | undefined> => {
  const table = Array.from({ length: KNOWN_HEADER_COUNT }, (): EagerHeader | undefined => undefined);
  [...EAGER_HEADERS].forEach((key, index) => {
    const ordinal = headerOrdinal(key);
    if (ordinal === UNKNOWN_HEADER) throw new Error(`eager header ${key} has no canonical name`);
    table[ordinal] = eagerHeader(key, 1 << index);
  });
  return table;
})();

function eagerOf(ordinal: number): EagerHeader | undefined {
  return ordinal === UNKNOWN_HEADER ? undefined : EAGER_BY_ORDINAL[ordinal];
}

const CSEQ_SLOT = cacheSlot('cseq');

/** Which eager headers a message has, and which more than once, noted field by field (by the parser as it reads them). */
export class EagerHeadersSeen {
  /** Bits of the eager headers present. */
  seen = 0;
  /** Bits of those present more than once. */
  repeated = 0;

  static of(headers: SipHeaders): EagerHeadersSeen {
    const eager = new EagerHeadersSeen();
    for (const { ordinal } of headers) eager.note(ordinal);
    return eager;
  }

  /** Notes a field by its HeaderName.ordinal. */
  note(ordinal: number): void {
    const eager = eagerOf(ordinal);
    if (eager === undefined) return;
    if ((this.seen & eager.bit) !== 0) this.repeated |= eager.bit;
    this.seen |= eager.bit;
  }
}

/** Parses (and caches) an eager header; `value` is its only line when `once`. */
function checkEager(headers: SipHeaders, eager: EagerHeader, value: string, once: boolean): void {
  if (eager.kind === 'list') {
    const values = once ? [value] : headers.getAll(eager.key);
    headers.cacheAt(eager.slot, parseHeaderLines(eager.key, values, eager.parse));
  } else if (once) {
    headers.cacheAt(eager.slot, parseHeaderLine(eager.key, value, eager.parse));
  } else {
    // Each line of a repeated single-valued header on its own (repetition is the layer above's).
    for (const line of headers.getAll(eager.key)) parseHeaderLine(eager.key, line, eager.parse);
  }
}

/**
 * Strict checks run by the parser: the Request-URI, every EAGER_HEADERS header present (each line
 * of a repeated single-valued header on its own, since repetition is for the layer above to answer,
 * RFC 4475 §3.3.8), and CSeq method = request method (RFC 4475 §3.1.2.17-18). Headers are checked
 * in the order they first appear. `eager` is what the parser noted while reading the fields.
 */
export function validateMessage(
  message: SipMessage,
  eager: EagerHeadersSeen = EagerHeadersSeen.of(message.headers),
): void {
  if (message.kind === 'request') void message.requestUri;
  const headers = message.headers;
  const { seen, repeated } = eager;
  let checked = 0;
  for (const { ordinal, value } of headers) {
    if ((seen & ~checked) === 0) break;
    const header = eagerOf(ordinal);
    if (header === undefined || (checked & header.bit) !== 0) continue;
    checked |= header.bit;
    checkEager(headers, header, value, (repeated & header.bit) === 0);
  }
  if (message.kind === 'request') {
    // Cached by the checks above exactly when there is one CSeq (a repeated one is the layer above's).
    const cseq = headers.cachedAt(CSEQ_SLOT) as CSeq | undefined | typeof NOT_CACHED;
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
