import { isTokenChar, isWhitespace, skipWhitespace } from './chars';
import { GrammarError } from './grammar-error';
import { Params, readParams } from './params';
import { readQuotedString } from './quoted-string';
import { parseUri, Uri } from './uri';

/** ( name-addr / addr-spec ) *( SEMI param ) as in From, To, Contact, Route (RFC 3261 §20.10, §25.1). */
export interface NameAddr {
  /** Display name, unquoted and unescaped; undefined when absent. */
  readonly displayName: string | undefined;
  readonly uri: Uri;
  /** Header parameters (tag, expires, q, +sip.instance …), names lower-cased, values raw. */
  readonly params: Params;
}

export interface NameAddrRead {
  value: NameAddr;
  /** Index of the comma that ends this element, or the end of the string. */
  end: number;
}

function readAngleUri(s: string, i: number): { uri: Uri; end: number } {
  // LAQUOT addr-spec RAQUOT: whitespace is allowed before "<" and after ">", never inside (RFC 4475 §3.1.2.14).
  const close = s.indexOf('>', i + 1);
  if (close === -1) throw new GrammarError('missing ">"');
  const text = s.slice(i + 1, close);
  if (
    text.length === 0 ||
    isWhitespace(text.charCodeAt(0)) ||
    isWhitespace(text.charCodeAt(text.length - 1))
  ) {
    throw new GrammarError('whitespace inside <>');
  }
  return { uri: parseUri(text), end: close + 1 };
}

/** display-name = *(token LWS) / quoted-string; returns the index of "<" after it, or -1. */
function tokenDisplayNameEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x3c) return j;
    if (!isTokenChar(c) && !isWhitespace(c)) return -1;
    j++;
  }
  return -1;
}

function readAddrSpec(s: string, i: number): { uri: Uri; end: number } {
  // A bare addr-spec ends at ";" (header params follow), "," or whitespace, and may not carry
  // URI headers: a URI with "?", "," or ";" must be enclosed in <> (RFC 3261 §20.10, RFC 4475 §3.1.2.13).
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x3b || c === 0x2c || isWhitespace(c)) break;
    if (c === 0x3f || c === 0x3c || c === 0x3e || c === 0x22)
      throw new GrammarError('URI must be enclosed in <>');
    j++;
  }
  return { uri: parseUri(s.slice(i, j)), end: j };
}

/** Reads one element starting at i (leading whitespace allowed). */
export function readNameAddr(s: string, i: number): NameAddrRead {
  i = skipWhitespace(s, i);
  let displayName: string | undefined;
  let addr: { uri: Uri; end: number };
  const first = s.charCodeAt(i);
  if (first === 0x22) {
    const quoted = readQuotedString(s, i);
    displayName = quoted.value;
    const lt = skipWhitespace(s, quoted.end);
    if (s.charCodeAt(lt) !== 0x3c) throw new GrammarError('display name without <URI>');
    addr = readAngleUri(s, lt);
  } else if (first === 0x3c) {
    addr = readAngleUri(s, i);
  } else {
    const lt = tokenDisplayNameEnd(s, i);
    if (lt === -1) {
      addr = readAddrSpec(s, i);
    } else {
      const name = s.slice(i, lt).trim();
      displayName = name.length === 0 ? undefined : name.replace(/[ \t]+/g, ' ');
      addr = readAngleUri(s, lt);
    }
  }
  const { params, end } = readParams(s, addr.end);
  return { value: { displayName, uri: addr.uri, params }, end };
}

/** Reads a comma-separated list of elements with `read` into `values`, rejecting empty elements. */
export function readList<T>(
  s: string,
  read: (s: string, i: number) => { value: T; end: number },
  values: T[] = [],
): T[] {
  let i = 0;
  for (;;) {
    const element = read(s, i);
    values.push(element.value);
    if (element.end >= s.length) return values;
    i = element.end + 1; // past the comma
    if (skipWhitespace(s, i) >= s.length) throw new GrammarError('empty list element');
  }
}
