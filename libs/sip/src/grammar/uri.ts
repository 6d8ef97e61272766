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

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

function splitPairs(text: string, separator: string, what: string): Array<[string, string | null]> {
  const pairs: Array<[string, string | null]> = [];
  for (const part of text.split(separator)) {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    if (name.length === 0) throw new GrammarError(`empty ${what}`);
    pairs.push([name, eq === -1 ? null : part.slice(eq + 1)]);
  }
  return pairs;
}

function parseUriParams(text: string): Map<string, string | null> {
  const params = new Map<string, string | null>();
  for (const [name, value] of splitPairs(text, ';', 'uri parameter')) {
    if (!isParamChars(name) || (value !== null && !isParamChars(value))) {
      throw new GrammarError(`bad uri parameter ${name}`);
    }
    params.set(name.toLowerCase(), value);
  }
  return params;
}

function parseUriHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, value] of splitPairs(text, '&', 'uri header')) {
    if (value === null || !isUriHeaderChars(name) || !isUriHeaderChars(value)) {
      throw new GrammarError(`bad uri header ${name}`);
    }
    headers.set(name, value);
  }
  return headers;
}

function parseSipUri(raw: string, scheme: 'sip' | 'sips', rest: string): SipUri {
  // '@' can only end the userinfo: host, parameters and headers never contain it unescaped.
  const at = rest.indexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    password = colon === -1 ? undefined : userinfo.slice(colon + 1);
    if (!isUser(user)) throw new GrammarError('bad user part');
    if (password !== undefined && !isPassword(password)) throw new GrammarError('bad password');
  }
  const hostPart = rest.slice(at + 1);
  const question = hostPart.indexOf('?');
  const beforeHeaders = question === -1 ? hostPart : hostPart.slice(0, question);
  const semicolon = beforeHeaders.indexOf(';');
  const { host, port } = parseHostPort(semicolon === -1 ? beforeHeaders : beforeHeaders.slice(0, semicolon));
  return {
    kind: 'sip',
    scheme,
    user,
    password,
    host,
    port,
    params: semicolon === -1 ? NO_PARAMS : parseUriParams(beforeHeaders.slice(semicolon + 1)),
    headers: question === -1 ? NO_HEADERS : parseUriHeaders(hostPart.slice(question + 1)),
    raw,
  };
}

/** Request-URI / addr-spec: SIP-URI / SIPS-URI / absoluteURI (RFC 3261 §25.1). */
export function parseUri(raw: string): Uri {
  // Fast path for the lower-case sip: / sips: nearly every URI uses.
  if (raw.startsWith('sip:')) return parseSipUri(raw, 'sip', raw.slice(4));
  if (raw.startsWith('sips:')) return parseSipUri(raw, 'sips', raw.slice(5));
  const colon = raw.indexOf(':');
  const scheme = raw.slice(0, colon).toLowerCase();
  if (colon <= 0 || !SCHEME.test(scheme)) throw new GrammarError('URI without scheme');
  const rest = raw.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(raw, scheme, rest);
  if (!isUricChars(rest)) throw new GrammarError(`bad ${scheme} URI`);
  return { kind: 'absolute', scheme, raw };
}
