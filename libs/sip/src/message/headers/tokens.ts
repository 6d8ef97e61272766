import { isDigits, isToken, isWordPair, skipWhitespace, tokenEnd } from '../../grammar/chars';
import { GrammarError } from '../../grammar/grammar-error';
import { Params, readParams } from '../../grammar/params';
import { parseDeltaSeconds } from './numbers';

/** Supported, Require, Allow, Allow-Events: comma lists of tokens, possibly empty (RFC 3261 §20.37). */
export function parseTokenList(values: readonly string[]): string[] {
  const tokens: string[] = [];
  for (const value of values) {
    if (value.length === 0) continue;
    for (const item of value.split(',')) {
      const token = item.trim();
      if (!isToken(token)) throw new GrammarError(`bad token "${token}"`);
      tokens.push(token);
    }
  }
  return tokens;
}

/** A token with header params: Event (RFC 6665 §8.2.1), Subscription-State (§8.2.3), Info-Package (RFC 6086). */
export interface TokenWithParams {
  readonly value: string;
  readonly params: Params;
}

export function parseTokenWithParams(text: string): TokenWithParams {
  const end = tokenEnd(text, 0);
  if (end === 0) throw new GrammarError('missing token');
  const read = readParams(text, end);
  if (read.end !== text.length) throw new GrammarError('only one value allowed');
  return { value: text.slice(0, end), params: read.params };
}

/** Content-Type: m-type "/" m-subtype *( SEMI m-parameter ) (RFC 3261 §20.15). */
export interface MediaType {
  /** Lower-cased `type/subtype`. */
  readonly mediaType: string;
  readonly params: Params;
}

export function parseMediaType(text: string): MediaType {
  const typeEnd = tokenEnd(text, 0);
  const slash = skipWhitespace(text, typeEnd);
  if (typeEnd === 0 || text.charCodeAt(slash) !== 0x2f) throw new GrammarError('expected type/subtype');
  const subStart = skipWhitespace(text, slash + 1);
  const subEnd = tokenEnd(text, subStart);
  if (subEnd === subStart) throw new GrammarError('missing subtype');
  const read = readParams(text, subEnd);
  if (read.end !== text.length) throw new GrammarError('only one media type allowed');
  return {
    mediaType: `${text.slice(0, typeEnd)}/${text.slice(subStart, subEnd)}`.toLowerCase(),
    params: read.params,
  };
}

/** Retry-After = delta-seconds [ comment ] *( SEMI retry-param ) (RFC 3261 §20.33). */
export interface RetryAfter {
  readonly seconds: number;
  readonly params: Params;
}

export function parseRetryAfter(text: string): RetryAfter {
  let end = 0;
  while (end < text.length && isDigits(text[end])) end++;
  const seconds = parseDeltaSeconds(text.slice(0, end), 'Retry-After');
  let i = skipWhitespace(text, end);
  if (text.charCodeAt(i) === 0x28) {
    // A comment may nest; only its balance matters here.
    let depth = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) i++;
      else if (c === 0x28) depth++;
      else if (c === 0x29 && --depth === 0) break;
    }
    if (depth !== 0) throw new GrammarError('unbalanced comment');
    i++;
  }
  const read = readParams(text, i);
  if (read.end !== text.length) throw new GrammarError('trailing characters');
  return { seconds, params: read.params };
}

/** Call-ID = word [ "@" word ] (RFC 3261 §25.1). */
export function checkCallId(text: string): string {
  if (!isWordPair(text)) throw new GrammarError('bad Call-ID');
  return text;
}

/** SIP-ETag, SIP-If-Match: entity-tag = token (RFC 3903 §11.3). */
export function checkToken(text: string): string {
  if (!isToken(text)) throw new GrammarError('expected a token');
  return text;
}

const RFC1123_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Date = rfc1123-date, always GMT (RFC 3261 §20.17, RFC 4475 §3.1.2.12). */
export function parseDate(text: string): Date {
  if (!RFC1123_DATE.test(text)) throw new GrammarError('Date must be an RFC 1123 date in GMT');
  return new Date(text);
}
