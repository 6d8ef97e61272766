import { digitsValue, isDigits } from '../../grammar/chars';
import { GrammarError } from '../../grammar/grammar-error';

/** delta-seconds and CSeq numbers must fit 32 bits (RFC 3261 §8.1.1.5 for CSeq: < 2**31). */
/** Significant digits a double holds exactly. */
const SAFE_DIGITS = 15;

export const MAX_DELTA_SECONDS = 2 ** 32 - 1;
export const MAX_CSEQ = 2 ** 31 - 1;
/** Max-Forwards is 0..255 in practice (RFC 3261 §20.22 recommends 70; RFC 4475 §3.1.2.4 rejects 300). */
export const MAX_MAX_FORWARDS = 255;

/** 1*DIGIT bounded by max; leading zeros allowed (RFC 4475 §3.1.1.1 "0068"). */
export function parseBoundedInteger(text: string, max: number, what: string): number {
  if (!isDigits(text)) throw new GrammarError(`${what} is not a number`);
  // Past 15 significant digits a double loses precision, and every bound here is far below that.
  let first = 0;
  while (first < text.length - 1 && text.charCodeAt(first) === 0x30) first++;
  const value = text.length - first > SAFE_DIGITS ? Infinity : digitsValue(text);
  if (value > max) throw new GrammarError(`${what} out of range`);
  return value;
}

export const parseDeltaSeconds = (text: string, what: string): number =>
  parseBoundedInteger(text, MAX_DELTA_SECONDS, what);
