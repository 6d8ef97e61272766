import { GrammarError } from './grammar-error';

export interface Quoted {
  /** The unescaped content, without the quotes. */
  value: string;
  /** Index just past the closing quote. */
  end: number;
}

/**
 * RFC 3261 §25.1: quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE, with
 * quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F). `i` is at the opening quote.
 */
export function readQuotedString(s: string, i: number): Quoted {
  let value = '';
  let from = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return { value: value + s.slice(from, j), end: j + 1 };
    if (c === 0x5c) {
      const next = s.charCodeAt(j + 1);
      if (Number.isNaN(next) || next === 0x0a || next === 0x0d || next > 0x7f) {
        throw new GrammarError('bad quoted-pair');
      }
      value += s.slice(from, j) + s[j + 1];
      j++;
      from = j + 1;
    } else if (c < 0x20 && c !== 0x09) {
      throw new GrammarError('control character in quoted string');
    }
  }
  throw new GrammarError('unterminated quoted string');
}

/** The quoted-string form of a value, escaping " and \ (for serializing display names and params). */
export function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (m) => `\\${m}`)}"`;
}

/** The value of a raw parameter: unquoted when it was a quoted-string. */
export function unquote(raw: string): string {
  return raw.charCodeAt(0) === 0x22 ? readQuotedString(raw, 0).value : raw;
}
