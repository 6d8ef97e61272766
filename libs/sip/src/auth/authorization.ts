import { DigestAlgorithm, parseDigestAlgorithm } from './algorithm';
import { DigestError } from './digest-error';

/** The fields of an `Authorization: Digest` header (RFC 3261 §25.1 digest-response, RFC 7616 §3.4). */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

const TOKEN = /^[!%'*+\-.0-9A-Z^_`a-z|~]+/;
const LWS = /^[ \t\r\n]*/;

/** Parses `name=value` pairs separated by commas; values are tokens or quoted-strings. */
export function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let rest = text;
  const skipSpace = (): void => {
    rest = rest.replace(LWS, '');
  };
  const fail = (): never => {
    throw new DigestError('digest-malformed-header', `malformed auth-param list: ${text}`);
  };
  skipSpace();
  while (rest.length > 0) {
    const name = TOKEN.exec(rest)?.[0] ?? fail();
    rest = rest.slice(name.length);
    skipSpace();
    if (!rest.startsWith('=')) fail();
    rest = rest.slice(1);
    skipSpace();
    let value: string;
    if (rest.startsWith('"')) {
      const quoted = /^"((?:[^"\\]|\\[\s\S])*)"/.exec(rest) ?? fail();
      value = quoted[1].replace(/\\([\s\S])/g, '$1');
      rest = rest.slice(quoted[0].length);
    } else {
      value = TOKEN.exec(rest)?.[0] ?? fail();
      rest = rest.slice(value.length);
    }
    const key = name.toLowerCase();
    if (params.has(key)) fail();
    params.set(key, value);
    skipSpace();
    if (rest.length === 0) break;
    if (!rest.startsWith(',')) fail();
    rest = rest.slice(1);
    skipSpace();
  }
  return params;
}

/** Parses an `Authorization` / `Proxy-Authorization` value with the Digest scheme. */
export function parseDigestAuthorization(headerValue: string): DigestCredentials {
  const scheme = /^\s*Digest\s+/i.exec(headerValue);
  if (scheme === null) throw new DigestError('digest-malformed-header', 'not a Digest authorization');
  const params = parseAuthParams(headerValue.slice(scheme[0].length));
  const required = (name: string): string => {
    const value = params.get(name);
    if (value === undefined)
      throw new DigestError('digest-malformed-header', `missing digest parameter ${name}`);
    return value;
  };
  const credentials: DigestCredentials = {
    username: required('username'),
    realm: required('realm'),
    nonce: required('nonce'),
    uri: required('uri'),
    response: required('response'),
    algorithm: parseDigestAlgorithm(params.get('algorithm')),
  };
  for (const optional of ['qop', 'nc', 'cnonce', 'opaque'] as const) {
    const value = params.get(optional);
    if (value !== undefined) credentials[optional] = value;
  }
  return credentials;
}
