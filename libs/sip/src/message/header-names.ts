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
  /** Position of the key among the headers Herald knows (CANONICAL), UNKNOWN_HEADER otherwise. */
  ordinal: number;
}

/** Ordinal of a header Herald has no canonical spelling for. */
export const UNKNOWN_HEADER = -1;

/**
 * Each known key's ordinal: tables indexed by it (which headers the parser checks, and how) are
 * read with an array index instead of hashing the name once more per header.
 */
const ORDINALS = new Map<string, number>(Object.keys(CANONICAL).map((key, ordinal) => [key, ordinal]));

/** How many keys have an ordinal (the length of a table indexed by it). */
export const KNOWN_HEADER_COUNT = ORDINALS.size;

/** Ordinal of a lookup key (see HeaderName.ordinal). */
export function headerOrdinal(key: string): number {
  return ORDINALS.get(key) ?? UNKNOWN_HEADER;
}

function headerName(key: string, display: string): HeaderName {
  return { key, display, ordinal: headerOrdinal(key) };
}

/** Canonical spelling, compact form, or lookup key of a header whose written form is fixed. */
function fixedSpellings(): Array<[string, HeaderName]> {
  const spellings: Array<[string, HeaderName]> = [];
  for (const [key, display] of Object.entries(CANONICAL)) {
    const name = headerName(key, display);
    spellings.push([display, name], [key, name]);
  }
  for (const [short, key] of Object.entries(COMPACT)) {
    spellings.push([short, headerName(key, CANONICAL[key] ?? short)]);
    spellings.push([short.toUpperCase(), headerName(key, CANONICAL[key] ?? short.toUpperCase())]);
  }
  return spellings;
}

/**
 * The spellings seen on the wire most and every lookup key (accessors pass keys), resolved without
 * lower-casing or allocating.
 */
const KNOWN_SPELLINGS = new Map<string, HeaderName>(fixedSpellings());

/** ASCII lower-case of each code below 128 (other codes are never part of a known name). */
const LOWER_CASE = Uint8Array.from({ length: 128 }, (_, c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c));

/** A fixed-spelling header as the parser matches it: its lower-case spelling and its name. */
interface FixedSpelling {
  readonly lower: string;
  readonly name: HeaderName;
}

/** Slots per name length in FIXED_SPELLINGS: one per letter (first letter's low five bits). */
const LETTER_SLOTS = 32;
const LETTER_MASK = LETTER_SLOTS - 1;

function slotOf(length: number, firstLower: number): number {
  return length * LETTER_SLOTS + (firstLower & LETTER_MASK);
}

/**
 * Headers written one fixed way whatever the case on the wire (canonical names and their compact
 * forms), by name length and first letter: the parser matches them in place, so it neither slices
 * nor lower-cases the names of the headers nearly every message carries.
 */
const FIXED_SPELLINGS: FixedSpelling[][] = Array.from(
  // Dense from the start (a sparse array would be a slow dictionary); one slot past the longest name.
  { length: slotOf(Math.max(...Object.keys(CANONICAL).map((key) => key.length)) + 1, 0) },
  (): FixedSpelling[] => [],
);
for (const [spelling, name] of KNOWN_SPELLINGS) {
  const lower = spelling.toLowerCase();
  const slot = slotOf(lower.length, lower.charCodeAt(0));
  const candidates = FIXED_SPELLINGS[slot];
  if (name.display === CANONICAL[name.key] && !candidates.some((known) => known.lower === lower)) {
    candidates.push({ lower, name });
  }
}

/** Whether text[start, start + lower.length) equals `lower` ignoring ASCII case. */
function equalsIgnoringCase(text: string, start: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    const c = text.charCodeAt(start + k);
    if (c >= LOWER_CASE.length || LOWER_CASE[c] !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** Key and written form of the header name text[start, end), as resolveHeaderName gives them. */
export function resolveHeaderNameAt(text: string, start: number, end: number): HeaderName {
  const first = text.charCodeAt(start);
  const candidates =
    first < LOWER_CASE.length ? FIXED_SPELLINGS[slotOf(end - start, LOWER_CASE[first])] : undefined;
  if (candidates !== undefined) {
    for (const known of candidates) if (equalsIgnoringCase(text, start, known.lower)) return known.name;
  }
  return resolveHeaderName(text.slice(start, end));
}

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
  return headerName(key, headerDisplayName(key, name));
}

/** The name to write for a header key: canonical spelling when known, else the name as given. */
export function headerDisplayName(key: string, given: string): string {
  return CANONICAL[key] ?? given;
}
