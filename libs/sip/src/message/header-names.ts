/** RFC 3261 §7.3.3 compact forms and later registrations (RFC 3265 o/u, RFC 3515 r, RFC 3892 b, RFC 4028 x, RFC 3841 a/j/d). */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
};

/** How Herald writes the headers it knows (names are case-insensitive, §7.3.1). */
const CANONICAL: Record<string, string> = {
  accept: 'Accept',
  allow: 'Allow',
  'allow-events': 'Allow-Events',
  authorization: 'Authorization',
  'call-id': 'Call-ID',
  contact: 'Contact',
  'content-length': 'Content-Length',
  'content-type': 'Content-Type',
  cseq: 'CSeq',
  date: 'Date',
  event: 'Event',
  expires: 'Expires',
  from: 'From',
  'info-package': 'Info-Package',
  'max-forwards': 'Max-Forwards',
  'min-expires': 'Min-Expires',
  path: 'Path',
  'proxy-authenticate': 'Proxy-Authenticate',
  'proxy-authorization': 'Proxy-Authorization',
  'record-route': 'Record-Route',
  require: 'Require',
  'retry-after': 'Retry-After',
  route: 'Route',
  server: 'Server',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
  'subscription-state': 'Subscription-State',
  supported: 'Supported',
  to: 'To',
  'user-agent': 'User-Agent',
  via: 'Via',
  warning: 'Warning',
  'www-authenticate': 'WWW-Authenticate',
};

export interface HeaderName {
  /** Lookup key: lower-cased, compact form expanded. */
  key: string;
  /** How it is written. */
  display: string;
}

/** The spellings seen on the wire most (canonical and compact), resolved without lower-casing. */
const KNOWN_SPELLINGS = new Map<string, HeaderName>([
  ...Object.entries(CANONICAL).map(([key, display]): [string, HeaderName] => [display, { key, display }]),
  ...Object.entries(COMPACT).flatMap(([short, key]): Array<[string, HeaderName]> => [
    [short, { key, display: CANONICAL[key] ?? short }],
    [short.toUpperCase(), { key, display: CANONICAL[key] ?? short.toUpperCase() }],
  ]),
]);

/** Lookup key of a header name: lower-cased, compact form expanded. */
export function headerKey(name: string): string {
  return resolveHeaderName(name).key;
}

/** Key and written form of a header name as received or given. */
export function resolveHeaderName(name: string): HeaderName {
  const known = KNOWN_SPELLINGS.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  const key = lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
  return { key, display: headerDisplayName(key, name) };
}

/** The name to write for a header key: canonical spelling when known, else the name as given. */
export function headerDisplayName(key: string, given: string): string {
  return CANONICAL[key] ?? given;
}
