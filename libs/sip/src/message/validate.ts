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
  SINGLE_HEADERS,
  SingleHeaderKey,
} from './typed-headers';

/** How one EAGER_HEADERS header is checked, and its bit in the set of headers already checked. */
interface EagerCheck {
  readonly bit: number;
  readonly check: (message: SipMessage) => void;
}

/** A single-valued header: parsed and cached when it appears once, else each line parsed on its own. */
function checkSingle(message: SipMessage, key: SingleHeaderKey): void {
  const values = message.headers.getAll(key);
  if (values.length === 1) message.single(key);
  else for (const value of values) parseHeaderLine<unknown>(key, value, SINGLE_HEADERS[key]);
}

function eagerCheck(key: string, bit: number): EagerCheck {
  if (isListHeaderKey(key)) return { bit, check: (message) => void message.list(key) };
  if (isSingleHeaderKey(key)) return { bit, check: (message) => checkSingle(message, key) };
  throw new Error(`eager header ${key} has no parser`);
}

/** The check of each eager header by lookup key, built once (no per-message key classification). */
const EAGER_CHECKS: ReadonlyMap<string, EagerCheck> = new Map(
  [...EAGER_HEADERS].map((key, index) => [key, eagerCheck(key, 1 << index)]),
);

/**
 * Strict checks run by the parser: the Request-URI, every EAGER_HEADERS header present (each line
 * of a repeated single-valued header on its own, since repetition is for the layer above to answer,
 * RFC 4475 §3.3.8), and CSeq method = request method (RFC 4475 §3.1.2.17-18).
 */
export function validateMessage(message: SipMessage): void {
  if (message.kind === 'request') void message.requestUri;
  let validated = 0;
  for (const { key } of message.headers) {
    const eager = EAGER_CHECKS.get(key);
    if (eager === undefined || (validated & eager.bit) !== 0) continue;
    validated |= eager.bit;
    eager.check(message);
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
