import { isParamChars, isPassword, isUricChars, isUriHeaderChars, isUser } from './chars';
import { GrammarError } from './grammar-error';
import { parseHostPort } from './host';

/** A sip: or sips: URI (RFC 3261 §19.1). Parts keep their escapes as written. */
export interface SipUri {
  readonly kind: 'sip';
  readonly scheme: 'sip' | 'sips';
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Host as written; IPv6 references keep their brackets (RFC 5118). */
  readonly host: string;
  readonly port: number | undefined;
  /** uri-parameters, names lower-cased, values raw; null for a flag such as `lr`. */
  readonly params: ReadonlyMap<string, string | null>;
  /** Header fields embedded after `?` (not allowed in a Request-URI, §19.1.1). */
  readonly headers: ReadonlyMap<string, string>;
  readonly raw: string;
}

/** Any other scheme (tel:, isbn:, soap.beep: …): kept opaque so the layer above can answer 416. */
export interface AbsoluteUri {
  readonly kind: 'absolute';
  /** Lower-cased scheme. */
  readonly scheme: string;
  readonly raw: string;
}

export type Uri = SipUri | AbsoluteUri;

/** Shared by the many URIs without parameters or headers (the maps are read-only). */
const NO_PARAMS: ReadonlyMap<string, string | null> = new Map();
const NO_HEADERS: ReadonlyMap<string, string> = new Map();

const SIP_COLON = 'sip:';
const SIPS_COLON = 'sips:';
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/**
 * Visits the `name[=value]` pairs of text split at `separator` (no arrays in between), rejecting
 * empty names; `visit` receives `into`, the name and the value, null when there is no "=" (a
 * module-level visitor and its target instead of a closure allocated per URI).
 */
function readPairs<T>(
  text: string,
  separator: string,
  what: string,
  into: T,
  visit: (into: T, name: string, value: string | null) => void,
): T {
  let start = 0;
  for (;;) {
    const next = text.indexOf(separator, start);
    const end = next === -1 ? text.length : next;
    const eq = text.indexOf('=', start);
    const nameEnd = eq === -1 || eq > end ? end : eq;
    if (nameEnd === start) throw new GrammarError(`empty ${what}`);
    visit(into, text.slice(start, nameEnd), nameEnd === end ? null : text.slice(nameEnd + 1, end));
    if (next === -1) return into;
    start = next + 1;
  }
}

function addUriParam(params: Map<string, string | null>, name: string, value: string | null): void {
  if (!isParamChars(name) || (value !== null && !isParamChars(value))) {
    throw new GrammarError(`bad uri parameter ${name}`);
  }
  params.set(name.toLowerCase(), value);
}

function addUriHeader(headers: Map<string, string>, name: string, value: string | null): void {
  if (value === null || !isUriHeaderChars(name) || !isUriHeaderChars(value)) {
    throw new GrammarError(`bad uri header ${name}`);
  }
  headers.set(name, value);
}

function parseUriParams(text: string): Map<string, string | null> {
  return readPairs(text, ';', 'uri parameter', new Map<string, string | null>(), addUriParam);
}

function parseUriHeaders(text: string): Map<string, string> {
  return readPairs(text, '&', 'uri header', new Map<string, string>(), addUriHeader);
}

/** The URI after its scheme, raw[restStart…], read by index (no copies of the parts between). */
function parseSipUri(raw: string, scheme: 'sip' | 'sips', restStart: number): SipUri {
  // '@' can only end the userinfo: host, parameters and headers never contain it unescaped.
  const at = raw.indexOf('@', restStart);
  let user: string | undefined;
  let password: string | undefined;
  if (at !== -1) {
    const colon = raw.indexOf(':', restStart);
    const userEnd = colon !== -1 && colon < at ? colon : at;
    user = raw.slice(restStart, userEnd);
    password = userEnd === at ? undefined : raw.slice(userEnd + 1, at);
    if (!isUser(user)) throw new GrammarError('bad user part');
    if (password !== undefined && !isPassword(password)) throw new GrammarError('bad password');
  }
  const hostStart = at === -1 ? restStart : at + 1;
  const question = raw.indexOf('?', hostStart);
  const beforeHeaders = question === -1 ? raw.length : question;
  const semicolon = raw.indexOf(';', hostStart);
  const hasParams = semicolon !== -1 && semicolon < beforeHeaders;
  const { host, port } = parseHostPort(raw.slice(hostStart, hasParams ? semicolon : beforeHeaders));
  return {
    kind: 'sip',
    scheme,
    user,
    password,
    host,
    port,
    params: hasParams ? parseUriParams(raw.slice(semicolon + 1, beforeHeaders)) : NO_PARAMS,
    headers: question === -1 ? NO_HEADERS : parseUriHeaders(raw.slice(question + 1)),
    raw,
  };
}

/** Request-URI / addr-spec: SIP-URI / SIPS-URI / absoluteURI (RFC 3261 §25.1). */
export function parseUri(raw: string): Uri {
  // Fast path for the lower-case sip: / sips: nearly every URI uses.
  if (raw.startsWith(SIP_COLON)) return parseSipUri(raw, 'sip', SIP_COLON.length);
  if (raw.startsWith(SIPS_COLON)) return parseSipUri(raw, 'sips', SIPS_COLON.length);
  const colon = raw.indexOf(':');
  const scheme = raw.slice(0, colon).toLowerCase();
  if (colon <= 0 || !SCHEME.test(scheme)) throw new GrammarError('URI without scheme');
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(raw, scheme, colon + 1);
  const rest = raw.slice(colon + 1);
  if (!isUricChars(rest)) throw new GrammarError(`bad ${scheme} URI`);
  return { kind: 'absolute', scheme, raw };
}
