// Character classes of RFC 3261 §25.1, as 128-entry lookup tables (one array read per byte).

/**
 * A class as a lookup table (for short strings) and as regexes (for long ones): header values are
 * slices of the message head, and irregexp reads a slice without the per-character indirection a
 * charCodeAt loop over it pays.
 */
interface CharClass {
  /** 1 for each member code below 128. */
  readonly table: Uint8Array;
  /** Each member code is one unit, and %HH too when `escapes`. */
  readonly unit: string;
  readonly escapes: boolean;
  /** The whole string is one or more units. */
  readonly whole: RegExp;
}

/** Strings at least this long are matched with a regex; shorter ones cost less in a loop. */
export const LONG_STRING = 16;

const ALPHANUMERIC = 'A-Za-z0-9';
const ESCAPED = '%[0-9A-Fa-f]{2}';

function charClass(chars: string, alnum: boolean, escapes: boolean): CharClass {
  const table = new Uint8Array(128);
  if (alnum) {
    for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  }
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  const members = `[${alnum ? ALPHANUMERIC : ''}${chars.replace(/[\\\][^-]/g, '\\$&')}]`;
  const unit = escapes ? `(?:${members}|${ESCAPED})` : members;
  return { table, unit, escapes, whole: new RegExp(`^${unit}+$`) };
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
const TOKEN = charClass("-.!%*_+`'~", true, false);
/** gen-value of header params = token / host / quoted-string; host adds ":" "[" "]" for IPv6 (RFC 5118 §4.5). */
const GEN_VALUE = charClass("-.!%*_+`'~:[]", true, false);
/** word (Call-ID) = token chars plus ( ) < > : \ DQUOTE / [ ] ? { } */
const WORD = charClass('-.!%*_+`\'~()<>:\\"/[]?{}', true, false);
/** unreserved = alphanum / mark */
const UNRESERVED = charClass("-_.!~*'()", true, true);
/** user = 1*( unreserved / escaped / user-unreserved ) */
const USER = charClass("-_.!~*'()&=+$,;?/", true, true);
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
const PASSWORD = charClass("-_.!~*'()&=+$,", true, true);
/** paramchar = param-unreserved / unreserved / escaped */
const PARAM_CHAR = charClass("-_.!~*'()[]/:&+$", true, true);
/** hname / hvalue characters of URI headers */
const URI_HEADER_CHAR = charClass("-_.!~*'()[]/?:+$", true, true);
/** uric = reserved / unreserved / escaped (absoluteURI, RFC 2396) */
const URIC = charClass("-_.!~*'();/?:@&=+$,", true, true);

/** A run of gen-value characters from lastIndex (sticky: it matches where it is put). */
const GEN_VALUE_RUN = new RegExp(`${GEN_VALUE.unit}*`, 'y');
/** Call-ID = word [ "@" word ] (RFC 3261 §25.1). */
const WORD_PAIR = new RegExp(`^${WORD.unit}+(?:@${WORD.unit}+)?$`);

function inClass(cls: CharClass, s: string): boolean {
  if (s.length === 0) return false;
  if (s.length >= LONG_STRING) return cls.whole.test(s);
  const t = cls.table;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && t[c] === 1) continue;
    if (cls.escapes && c === 0x25 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
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

/** A character of an unquoted gen-value. */
export function isGenValueChar(c: number): boolean {
  return c < 128 && GEN_VALUE.table[c] === 1;
}

/** End of the run of gen-value characters starting at i (a branch runs over 30 or more). */
export function genValueEnd(s: string, i: number): number {
  const loopEnd = Math.min(s.length, i + LONG_STRING);
  while (i < loopEnd && isGenValueChar(s.charCodeAt(i))) i++;
  if (i < loopEnd || i === s.length) return i;
  GEN_VALUE_RUN.lastIndex = i;
  GEN_VALUE_RUN.test(s);
  return GEN_VALUE_RUN.lastIndex;
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
  return c < 128 && WORD.table[c] === 1;
}

export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN.table[c] === 1;
}

export const isToken = (s: string): boolean => inClass(TOKEN, s);
export const isWord = (s: string): boolean => inClass(WORD, s);
export const isUser = (s: string): boolean => inClass(USER, s);
export const isPassword = (s: string): boolean => s.length === 0 || inClass(PASSWORD, s);
export const isParamChars = (s: string): boolean => inClass(PARAM_CHAR, s);
export const isUriHeaderChars = (s: string): boolean => s.length === 0 || inClass(URI_HEADER_CHAR, s);
export const isUricChars = (s: string): boolean => inClass(URIC, s);
export const isUnreserved = (s: string): boolean => inClass(UNRESERVED, s);

const AT = 0x40;

/** word [ "@" word ] (Call-ID, RFC 3261 §25.1). */
export function isWordPair(s: string): boolean {
  if (s.length >= LONG_STRING) return WORD_PAIR.test(s);
  let wordStart = 0;
  let seenAt = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isWordChar(c)) continue;
    if (c !== AT || seenAt || i === wordStart) return false;
    seenAt = true;
    wordStart = i + 1;
  }
  return wordStart !== s.length;
}

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
