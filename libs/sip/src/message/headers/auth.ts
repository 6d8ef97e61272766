import { isTokenChar, skipWhitespace, tokenEnd } from '../../grammar/chars';
import { GrammarError } from '../../grammar/grammar-error';
import { readQuotedString } from '../../grammar/quoted-string';

/**
 * Authorization / WWW-Authenticate / Proxy-*: auth-scheme LWS auth-param *(COMMA auth-param)
 * (RFC 3261 §25.1, RFC 7616 §3.3-3.4). Param names lower-cased, values unquoted.
 */
export interface AuthParams {
  /** As written, e.g. `Digest`. */
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
}

export function parseAuthHeader(text: string): AuthParams {
  const schemeEnd = tokenEnd(text, 0);
  if (schemeEnd === 0) throw new GrammarError('missing auth scheme');
  const scheme = text.slice(0, schemeEnd);
  const params = new Map<string, string>();
  let i = skipWhitespace(text, schemeEnd);
  if (i === schemeEnd && i < text.length) throw new GrammarError('missing space after auth scheme');
  while (i < text.length) {
    const nameEnd = tokenEnd(text, i);
    if (nameEnd === i) throw new GrammarError('bad auth-param name');
    const name = text.slice(i, nameEnd).toLowerCase();
    i = skipWhitespace(text, nameEnd);
    if (text.charCodeAt(i) !== 0x3d) throw new GrammarError(`auth-param ${name} without value`);
    i = skipWhitespace(text, i + 1);
    let value: string;
    if (text.charCodeAt(i) === 0x22) {
      const quoted = readQuotedString(text, i);
      value = quoted.value;
      i = quoted.end;
    } else {
      const valueEnd = tokenEnd(text, i);
      if (valueEnd === i) throw new GrammarError(`empty auth-param ${name}`);
      value = text.slice(i, valueEnd);
      i = valueEnd;
    }
    if (params.has(name)) throw new GrammarError(`duplicate auth-param ${name}`);
    params.set(name, value);
    i = skipWhitespace(text, i);
    if (i < text.length) {
      if (text.charCodeAt(i) !== 0x2c) throw new GrammarError('expected "," between auth-params');
      i = skipWhitespace(text, i + 1);
      if (i >= text.length || !isTokenChar(text.charCodeAt(i))) throw new GrammarError('empty auth-param');
    }
  }
  return { scheme, params };
}
