import { genValueEnd, isTokenChar, skipWhitespace } from './chars';
import { GrammarError } from './grammar-error';
import { quotedStringEnd } from './quoted-string';

/** Parameter names lower-cased (RFC 3261 §7.3.1); values raw (quoted-strings keep their quotes), null when absent. */
export type Params = Map<string, string | null>;

export interface ParamsRead {
  params: Params;
  /** Index of the first character that is not part of the parameters (a comma, or the end). */
  end: number;
}

const UPPER_A = 0x41;
const UPPER_Z = 0x5a;

/**
 * Header parameters, RFC 3261 §25.1: *( SEMI generic-param ), generic-param = token [ EQUAL gen-value ],
 * SEMI and EQUAL allowing whitespace around them. Starts at i (whitespace allowed) and stops at a comma or the end.
 */
export function readParams(s: string, i: number): ParamsRead {
  const params: Params = new Map();
  i = skipWhitespace(s, i);
  while (i < s.length && s.charCodeAt(i) === 0x3b) {
    i = skipWhitespace(s, i + 1);
    const nameStart = i;
    // Names are nearly always lower-case already: lower-case (copy) only when needed.
    let upperCase = false;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (!isTokenChar(c)) break;
      if (c >= UPPER_A && c <= UPPER_Z) upperCase = true;
    }
    if (i === nameStart) throw new GrammarError('empty parameter');
    const name = upperCase ? s.slice(nameStart, i).toLowerCase() : s.slice(nameStart, i);
    i = skipWhitespace(s, i);
    let value: string | null = null;
    if (s.charCodeAt(i) === 0x3d) {
      i = skipWhitespace(s, i + 1);
      if (s.charCodeAt(i) === 0x22) {
        const end = quotedStringEnd(s, i);
        value = s.slice(i, end);
        i = end;
      } else {
        const valueStart = i;
        i = genValueEnd(s, i);
        if (i === valueStart) throw new GrammarError(`empty value for parameter ${name}`);
        value = s.slice(valueStart, i);
      }
      i = skipWhitespace(s, i);
    }
    // A repeated name leaves the size unchanged: one hash lookup instead of has() then set().
    const size = params.size;
    params.set(name, value);
    if (params.size === size) throw new GrammarError(`duplicate parameter ${name}`);
  }
  if (i < s.length && s.charCodeAt(i) !== 0x2c) throw new GrammarError(`unexpected character at ${i}`);
  return { params, end: i };
}

/** Serializes parameters back to `;name=value` form. */
export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}
