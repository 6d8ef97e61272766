import { isToken, isWhitespace, skipWhitespace } from '../../grammar/chars';
import { GrammarError } from '../../grammar/grammar-error';
import { MAX_CSEQ, parseBoundedInteger } from './numbers';

/** CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16). */
export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** Index of the first SP or HTAB in text, or its length. */
function whitespaceAt(text: string): number {
  let i = 0;
  while (i < text.length && !isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** The value is trimmed; the number and the method are then checked whole (digits, token). */
export function parseCSeq(text: string): CSeq {
  const numberEnd = whitespaceAt(text);
  const methodStart = skipWhitespace(text, numberEnd);
  if (numberEnd === 0 || methodStart >= text.length) throw new GrammarError('expected "<number> <method>"');
  const method = text.slice(methodStart);
  if (!isToken(method)) throw new GrammarError('bad method');
  return { seq: parseBoundedInteger(text.slice(0, numberEnd), MAX_CSEQ, 'sequence number'), method };
}
