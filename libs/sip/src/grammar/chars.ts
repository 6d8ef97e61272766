// Character classes of RFC 3261 §25.1, as 128-entry lookup tables (one array read per byte).

function table(chars: string, alnum: boolean): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) {
    for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  }
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
const TOKEN = table("-.!%*_+`'~", true);
/** gen-value of header params = token / host / quoted-string; host adds ":" "[" "]" for IPv6 (RFC 5118 §4.5). */
const GEN_VALUE = table("-.!%*_+`'~:[]", true);
/** word (Call-ID) = token chars plus ( ) < > : \ DQUOTE / [ ] ? { } */
const WORD = table('-.!%*_+`\'~()<>:\\"/[]?{}', true);
/** unreserved = alphanum / mark */
const UNRESERVED = table("-_.!~*'()", true);
/** user = 1*( unreserved / escaped / user-unreserved ) */
const USER = table("-_.!~*'()&=+$,;?/", true);
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
const PASSWORD = table("-_.!~*'()&=+$,", true);
/** paramchar = param-unreserved / unreserved / escaped */
const PARAM_CHAR = table("-_.!~*'()[]/:&+$", true);
/** hname / hvalue characters of URI headers */
const URI_HEADER_CHAR = table("-_.!~*'()[]/?:+$", true);
/** uric = reserved / unreserved / escaped (absoluteURI, RFC 2396) */
const URIC = table("-_.!~*'();/?:@&=+$,", true);

function inTable(t: Uint8Array, s: string, allowEscape: boolean): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && t[c] === 1) continue;
    if (allowEscape && c === 0x25 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

export function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** A character of an unquoted gen-value (one table read, as it runs over long branch values). */
export function isGenValueChar(c: number): boolean {
  return c < 128 && GEN_VALUE[c] === 1;
}

/**
 * Value of a string of decimal digits (the caller has checked it), exact up to 15 significant digits;
 * faster than Number(), which handles every numeric syntax.
 */
export function digitsValue(s: string): number {
  let value = 0;
  for (let i = 0; i < s.length; i++) value = value * 10 + (s.charCodeAt(i) - 0x30);
  return value;
}

export function isWordChar(c: number): boolean {
  return c < 128 && WORD[c] === 1;
}

export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN[c] === 1;
}

export const isToken = (s: string): boolean => inTable(TOKEN, s, false);
export const isWord = (s: string): boolean => inTable(WORD, s, false);
export const isUser = (s: string): boolean => inTable(USER, s, true);
export const isPassword = (s: string): boolean => s.length === 0 || inTable(PASSWORD, s, true);
export const isParamChars = (s: string): boolean => inTable(PARAM_CHAR, s, true);
export const isUriHeaderChars = (s: string): boolean => s.length === 0 || inTable(URI_HEADER_CHAR, s, true);
export const isUricChars = (s: string): boolean => inTable(URIC, s, true);
export const isUnreserved = (s: string): boolean => inTable(UNRESERVED, s, true);

/** SP or HTAB; folded lines are already joined with SP by the header index. */
export function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

export function skipWhitespace(s: string, i: number): number {
  while (i < s.length && isWhitespace(s.charCodeAt(i))) i++;
  return i;
}

/** Reads a token starting at i; returns its end (i when there is none). */
export function tokenEnd(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}
