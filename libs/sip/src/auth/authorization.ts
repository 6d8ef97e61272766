import { GrammarError } from '../grammar';
import { AuthParams, parseAuthHeader } from '../message';
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

/** Digest credentials from an already parsed Authorization header (`SipMessageBase.authorization`). */
export function digestCredentials(auth: AuthParams): DigestCredentials {
  if (auth.scheme.toLowerCase() !== 'digest') {
    throw new DigestError('digest-malformed-header', `not a Digest authorization: ${auth.scheme}`);
  }
  // An empty value answers nothing (RFC 7616 §3.4 gives each a form), and events carry none.
  const required = (name: string): string => {
    const value = auth.params.get(name);
    if (value === undefined || value.length === 0)
      throw new DigestError('digest-malformed-header', `missing or empty digest parameter ${name}`);
    return value;
  };
  const credentials: DigestCredentials = {
    username: required('username'),
    realm: required('realm'),
    nonce: required('nonce'),
    uri: required('uri'),
    response: required('response'),
    algorithm: parseDigestAlgorithm(auth.params.get('algorithm')),
  };
  for (const optional of ['qop', 'nc', 'cnonce', 'opaque'] as const) {
    const value = auth.params.get(optional);
    if (value === undefined) continue;
    if (value.length === 0 && optional === 'cnonce') {
      throw new DigestError('digest-malformed-header', 'empty digest parameter cnonce');
    }
    credentials[optional] = value;
  }
  return credentials;
}

/** Parses an `Authorization` / `Proxy-Authorization` header value with the Digest scheme. */
export function parseDigestAuthorization(headerValue: string): DigestCredentials {
  let auth: AuthParams;
  try {
    auth = parseAuthHeader(headerValue.trim());
  } catch (error) {
    if (error instanceof GrammarError) throw new DigestError('digest-malformed-header', error.message);
    throw error;
  }
  return digestCredentials(auth);
}
