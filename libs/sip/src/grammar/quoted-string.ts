import { GrammarError } from './grammar-error';

export interface Quoted {
  /** The unescaped content, without the quotes. */
  value: string;
  /** Index just past the closing quote. */
  end: number;
}

const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A quoted-string of qdtext only (HTAB, SP, any code from 0x21 but DQUOTE and backslash), from lastIndex. */
const PLAIN_QUOTED_STRING = /"[\t !#-[\]-\uffff]*"/y;

/**
 * RFC 3261 §25.1: quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE, with
 * quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F). `i` is at the opening quote; returns the index
 * just past the closing quote, without building the unescaped value (parameters keep it raw).
 */
export function quotedStringEnd(s: string, i: number): number {
  // Nearly every quoted-string holds neither a quoted-pair nor a control character.
  PLAIN_QUOTED_STRING.lastIndex = i;
  if (PLAIN_QUOTED_STRING.test(s)) return PLAIN_QUOTED_STRING.lastIndex;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === DQUOTE) return j + 1;
    if (c === BACKSLASH) {
      const next = s.charCodeAt(j + 1);
      if (Number.isNaN(next) || next === 0x0a || next === 0x0d || next > 0x7f) {
        throw new GrammarError('bad quoted-pair');
      }
      j++;
    } else if (c < 0x20 && c !== 0x09) {
      throw new GrammarError('control character in quoted string');
    }
  }
  throw new GrammarError('unterminated quoted string');
}

/** A quoted-pair's backslash and the character it escapes. */
const QUOTED_PAIR = /\\(.)/gs;

/** The content of a quoted-string between its quotes, quoted-pairs unescaped. */
function unescapeQuoted(content: string): string {
  // Most quoted strings hold no quoted-pair: no unescaping pass then.
  return content.includes('\\') ? content.replace(QUOTED_PAIR, '$1') : content;
}

/** Reads the quoted-string at `i` (see quotedStringEnd): its unescaped content and end. */
export function readQuotedString(s: string, i: number): Quoted {
  const end = quotedStringEnd(s, i);
  return { value: unescapeQuoted(s.slice(i + 1, end - 1)), end };
}

/** The quoted-string form of a value, escaping " and \ (for serializing display names and params). */
export function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (m) => `\\${m}`)}"`;
}

/**
 * The value of a raw parameter as readParams keeps it (a quoted-string already checked to its
 * closing quote, or a token): unquoted when it was a quoted-string.
 */
export function unquote(raw: string): string {
  return raw.charCodeAt(0) === DQUOTE ? unescapeQuoted(raw.slice(1, -1)) : raw;
}
