import { parseAddress, parseAddressList, parseContacts } from './headers/address';
import { parseAuthHeader } from './headers/auth';
import { parseCSeq } from './headers/cseq';
import { MAX_MAX_FORWARDS, parseBoundedInteger, parseDeltaSeconds } from './headers/numbers';
import {
  checkCallId,
  checkToken,
  parseDate,
  parseMediaType,
  parseRetryAfter,
  parseTokenList,
  parseTokenWithParams,
} from './headers/tokens';
import { readViaList } from './headers/via';

/** Largest Content-Length accepted by the accessor; the parser's maxMessageBytes bounds it further. */
const MAX_CONTENT_LENGTH = 2 ** 31 - 1;

/** Headers that may appear once, by lookup key, with their parser; accessors parse on demand and cache. */
export const SINGLE_HEADERS = {
  from: parseAddress,
  to: parseAddress,
  'call-id': checkCallId,
  cseq: parseCSeq,
  'max-forwards': (v: string) => parseBoundedInteger(v, MAX_MAX_FORWARDS, 'Max-Forwards'),
  'content-length': (v: string) => parseBoundedInteger(v, MAX_CONTENT_LENGTH, 'Content-Length'),
  'content-type': parseMediaType,
  expires: (v: string) => parseDeltaSeconds(v, 'Expires'),
  'min-expires': (v: string) => parseDeltaSeconds(v, 'Min-Expires'),
  event: parseTokenWithParams,
  'subscription-state': parseTokenWithParams,
  'sip-etag': checkToken,
  'sip-if-match': checkToken,
  'info-package': parseTokenWithParams,
  'retry-after': parseRetryAfter,
  date: parseDate,
} satisfies Record<string, (value: string) => unknown>;

/** Headers that form lists (several lines and/or comma-separated values), by lookup key. */
export const LIST_HEADERS = {
  via: readViaList,
  contact: parseContacts,
  route: parseAddressList,
  'record-route': parseAddressList,
  path: parseAddressList,
  supported: parseTokenList,
  require: parseTokenList,
  allow: parseTokenList,
  // One credential / challenge per header line: commas belong to the auth-params.
  authorization: (values: readonly string[]) => values.map(parseAuthHeader),
  'proxy-authorization': (values: readonly string[]) => values.map(parseAuthHeader),
  'www-authenticate': (values: readonly string[]) => values.map(parseAuthHeader),
  'proxy-authenticate': (values: readonly string[]) => values.map(parseAuthHeader),
} satisfies Record<string, (values: readonly string[]) => unknown>;

export type SingleHeaderKey = keyof typeof SINGLE_HEADERS;
export type ListHeaderKey = keyof typeof LIST_HEADERS;
export type SingleHeaderValue<K extends SingleHeaderKey> = ReturnType<(typeof SINGLE_HEADERS)[K]>;
export type ListHeaderValue<K extends ListHeaderKey> = ReturnType<(typeof LIST_HEADERS)[K]>;

export function isSingleHeaderKey(key: string): key is SingleHeaderKey {
  return Object.hasOwn(SINGLE_HEADERS, key);
}

export function isListHeaderKey(key: string): key is ListHeaderKey {
  return Object.hasOwn(LIST_HEADERS, key);
}

/**
 * Typed headers the parser validates in every message: the ones that frame, route and identify it
 * (a 400 must be answerable from them) and the ones RFC 4475 §3.1.2 expects a parser to reject.
 * The others are checked when first read; their accessors throw SipParseError then.
 */
export const EAGER_HEADERS: ReadonlySet<string> = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'content-length',
  'content-type',
  'contact',
  'expires',
  'date',
]);
