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

/** Lookup key of a header name: lower-cased, compact form expanded. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

/** The name to write for a header key: canonical spelling when known, else the name as given. */
export function headerDisplayName(key: string, given: string): string {
  return CANONICAL[key] ?? given;
}
