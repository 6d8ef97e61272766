import { GrammarError, isToken } from '../../grammar';
import { MAX_CSEQ, parseBoundedInteger } from './numbers';

/** CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16). */
export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

export function parseCSeq(text: string): CSeq {
  const match = /^(\S+)[ \t]+(\S+)$/.exec(text);
  if (match === null) throw new GrammarError('expected "<number> <method>"');
  if (!isToken(match[2])) throw new GrammarError('bad method');
  return { seq: parseBoundedInteger(match[1], MAX_CSEQ, 'sequence number'), method: match[2] };
}
