import { GrammarError } from './grammar-error';

export interface Quoted {
  /** The unescaped content, without the quotes. */
  value: string;
  /** Index just past the closing quote. */
  end: number;
}

const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * RFC 3261 §25.1: quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE, with
 * quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F). `i` is at the opening quote; returns the index
 * just past the closing quote, without building the unescaped value (parameters keep it raw).
 */
export function quotedStringEnd(s: string, i: number): number {
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

/** Reads the quoted-string at `i` (see quotedStringEnd): its unescaped content and end. */
export function readQuotedString(s: string, i: number): Quoted {
  const end = quotedStringEnd(s, i);
  const content = s.slice(i + 1, end - 1);
  // Most quoted strings hold no quoted-pair: no unescaping pass then.
  const value = content.includes('\\') ? content.replace(QUOTED_PAIR, '$1') : content;
  return { value, end };
}

/** The quoted-string form of a value, escaping " and \ (for serializing display names and params). */
export function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (m) => `\\${m}`)}"`;
}

/** The value of a raw parameter: unquoted when it was a quoted-string. */
export function unquote(raw: string): string {
  return raw.charCodeAt(0) === 0x22 ? readQuotedString(raw, 0).value : raw;
}
