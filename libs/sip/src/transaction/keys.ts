import { randomString } from '../random-pool';

/** RFC 3261 §8.1.1.7: branches starting with this were made by RFC 3261 elements and are unique. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

/** Random bytes after the magic cookie: 96 bits make a branch unique in space and time (§8.1.1.7). */
const BRANCH_RANDOM_BYTES = 12;

/** A fresh branch for a new client transaction. */
export function newBranch(): string {
  return `${BRANCH_MAGIC_COOKIE}${randomString(BRANCH_RANDOM_BYTES, 'base64url')}`;
}

/** What §17.2.3 matching needs from a request. */
export interface ServerKeyInput {
  method: string;
  branch: string | undefined;
  /** Top Via sent-by host and port (port defaulted by the caller, e.g. 5060 / 5061). */
  sentByHost: string;
  sentByPort: number;
  /** Only for the RFC 2543 fallback. */
  requestUri: string;
  callId: string;
  cseq: number;
  fromTag: string | undefined;
  toTag: string | undefined;
  /** The whole top Via value, compared as a string by the RFC 2543 fallback. */
  topVia: string;
}

/** ACK belongs to the INVITE transaction it acknowledges (§17.2.3). */
function matchingMethod(method: string): string {
  return method === 'ACK' ? 'INVITE' : method;
}

/**
 * §17.2.3: with the magic cookie, branch + sent-by + method; otherwise the RFC 2543 rules
 * (Request-URI, tags, Call-ID, CSeq, top Via).
 */
export function serverTransactionKey(input: ServerKeyInput): string {
  const method = matchingMethod(input.method);
  if (hasMagicCookie(input.branch)) {
    return rfc3261ServerKey(input.branch, input.sentByHost, input.sentByPort, method);
  }
  return [
    '2543',
    input.requestUri,
    input.toTag ?? '',
    input.fromTag ?? '',
    input.callId,
    `${input.cseq} ${method}`,
    input.topVia,
  ].join('|');
}

/** §17.2.3: the branch starts with the magic cookie, so branch, sent-by and method identify the transaction. */
export function hasMagicCookie(branch: string | undefined): branch is string {
  return branch?.startsWith(BRANCH_MAGIC_COOKIE) === true;
}

/** §17.2.3 key of a request whose branch has the magic cookie (`method` already ACK -> INVITE). */
export function rfc3261ServerKey(
  branch: string,
  sentByHost: string,
  sentByPort: number,
  method: string,
): string {
  return `3261|${branch}|${sentByHost.toLowerCase()}:${sentByPort}|${method}`;
}

/** §17.1.3: a response matches the client transaction with its top Via branch and CSeq method. */
export function clientTransactionKey(branch: string, cseqMethod: string): string {
  return `${branch}|${cseqMethod}`;
}
