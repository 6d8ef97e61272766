import { isToken, skipWhitespace, tokenEnd } from '../grammar/chars';
import { HeaderName, resolveHeaderNameAt } from './header-names';
import { cacheSlot, NOT_CACHED, SipHeaders } from './headers';
import { resolveLimits, SipParseLimits } from './limits';
import { PartialMessage, SipParseError } from './parse-error';
import { SipMessage, SipRequest, SipResponse } from './sip-message';
import { responseFields } from './response';
import { parseStartLine } from './start-line';
import { SINGLE_HEADERS } from './typed-headers';
import { EagerHeadersSeen, validateMessage } from './validate';

/** CR or LF that is not part of a CRLF (RFC 3261 §7: lines end with CRLF); used on errors only. */
const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;
const BARE_CR_OR_LF_REASON = 'bare CR or LF';
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH_SLOT = cacheSlot('content-length');
/** Length of the CRLF that ends each line. */
const CRLF_LENGTH = 2;

function isFoldStart(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function partialOf(headers: SipHeaders, method: string | undefined): PartialMessage {
  return { ...responseFields(new SipRequest({ method: method ?? '', uri: '', headers })), method };
}

function methodOf(startLine: string): string | undefined {
  const sp = startLine.indexOf(' ');
  const method = startLine.slice(0, sp);
  return sp > 0 && isToken(method) && !startLine.startsWith('SIP/') ? method : undefined;
}

/**
 * End of the line starting at `from`: the index of its CR, or the end of the head. Every CR must be
 * followed by LF and every LF preceded by CR (RFC 3261 §7: lines end with CRLF); `nextLf` is the
 * first LF at or after `from` (-1 when none), found once per line by the caller.
 */
function lineEnd(head: string, from: number, nextLf: number): number {
  const cr = head.indexOf('\r', from);
  const end = cr === -1 ? head.length : cr;
  const endsWell = cr === -1 ? nextLf === -1 : nextLf === cr + 1;
  if (!endsWell) throw new SipParseError('SIP_BAD_HEADER', BARE_CR_OR_LF_REASON);
  return end;
}

/**
 * Index of the colon after the header name [start, nameEnd) on the line ending at `end`: HCOLON
 * allows whitespace before ":" (RFC 4475 §3.1.1.1). Throws when the name is not a token.
 */
function colonAfterName(head: string, start: number, nameEnd: number, end: number): number {
  const colon = skipWhitespace(head, nameEnd);
  if (colon >= end || head.charCodeAt(colon) !== COLON) {
    const firstColon = head.indexOf(':', start);
    const hasColon = firstColon !== -1 && firstColon < end;
    throw new SipParseError('SIP_BAD_HEADER', hasColon ? 'bad header name' : 'header line without ":"');
  }
  if (nameEnd === start) throw new SipParseError('SIP_BAD_HEADER', 'bad header name');
  return colon;
}

const FIRST_VISIBLE = 0x21;
const DEL = 0x7f;

/** Whether trim() would return the value unchanged: it starts and ends visible ASCII (nearly always). */
function isTrimmed(value: string): boolean {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first >= FIRST_VISIBLE && first < DEL && last >= FIRST_VISIBLE && last < DEL;
}

function store(headers: SipHeaders, eager: EagerHeadersSeen, name: HeaderName, value: string): void {
  headers.appendParsed(name, isTrimmed(value) ? value : value.trim());
  eager.note(name.ordinal);
}

/**
 * Splits the header block into fields in one pass over its lines (indexOf jumps, names matched in
 * place), checking line endings, unfolding continuation lines (RFC 3261 §7.3.1) and the limits.
 * The field being collected lives in locals (it may continue on folded lines): no object per line.
 */
function indexHeaders(
  head: string,
  from: number,
  limits: Readonly<SipParseLimits>,
  headers: SipHeaders,
  eager: EagerHeadersSeen,
): void {
  let name: HeaderName | undefined;
  /** After the colon and its spaces, folded lines joined with one space; trimmed when stored. */
  let value = '';
  /** Name and spaces after the colon: the rest of the field the folded-line limit counts. */
  let lengthBeforeValue = 0;
  let lineStart = from;
  while (lineStart < head.length) {
    const end = lineEnd(head, lineStart, head.indexOf('\n', lineStart));
    if (end - lineStart > limits.maxLineBytes)
      throw new SipParseError('SIP_LINE_TOO_LONG', 'header line too long');
    if (isFoldStart(head.charCodeAt(lineStart))) {
      if (name === undefined) throw new SipParseError('SIP_BAD_HEADER', 'continuation line without a header');
      value += ' ' + head.slice(lineStart, end).trim();
      if (lengthBeforeValue + value.length > limits.maxLineBytes) {
        throw new SipParseError('SIP_LINE_TOO_LONG', 'folded header too long');
      }
    } else {
      if (name !== undefined) store(headers, eager, name, value);
      const nameEnd = tokenEnd(head, lineStart);
      const colon = colonAfterName(head, lineStart, nameEnd, end);
      // Sliced past the spaces after the colon, so trimming rarely has to copy the value again.
      const valueStart = skipWhitespace(head, colon + 1);
      name = resolveHeaderNameAt(head, lineStart, nameEnd);
      value = head.slice(valueStart, end);
      lengthBeforeValue = nameEnd - lineStart + (valueStart - colon - 1);
      if (headers.size >= limits.maxHeaders)
        throw new SipParseError('SIP_TOO_MANY_HEADERS', 'too many headers');
    }
    lineStart = end + CRLF_LENGTH;
  }
  if (name !== undefined) store(headers, eager, name, value);
}

/**
 * Parses a start line and header block (without the empty line) into a message with an empty body.
 * Shared by the datagram parser and the stream reader. Errors carry the partial headers.
 */
export function parseHead(head: string, limits: Readonly<SipParseLimits>): SipMessage {
  const firstLf = head.indexOf('\n');
  // The start line ends at the first CRLF: nearly always the first LF and the CR before it.
  const firstEnd = firstLf > 0 && head.charCodeAt(firstLf - 1) === CR ? firstLf - 1 : head.indexOf('\r\n');
  const startLine = firstEnd === -1 ? head : head.slice(0, firstEnd);
  const headers = new SipHeaders();
  const eager = new EagerHeadersSeen();
  try {
    const startLineEnd = lineEnd(head, 0, firstLf);
    if (startLineEnd > limits.maxLineBytes)
      throw new SipParseError('SIP_LINE_TOO_LONG', 'start line too long');
    indexHeaders(head, startLineEnd + CRLF_LENGTH, limits, headers, eager);
    const parsed = parseStartLine(startLine);
    const message =
      parsed.kind === 'request'
        ? new SipRequest({ method: parsed.method, uri: parsed.uri, headers })
        : new SipResponse({ status: parsed.status, reason: parsed.reason, headers });
    validateMessage(message, eager);
    return message;
  } catch (error) {
    if (!(error instanceof SipParseError)) throw error;
    // Line endings are checked line by line as the head is read; a bare CR or LF anywhere is still
    // the error reported, whatever else is wrong (the rest of the head cannot be trusted).
    const reported = BARE_CR_OR_LF.test(head)
      ? new SipParseError('SIP_BAD_HEADER', BARE_CR_OR_LF_REASON)
      : error;
    throw reported.withPartial(partialOf(headers, methodOf(startLine)));
  }
}

/**
 * The Content-Length that frames the body: undefined when absent; when repeated, the value if all
 * agree (the layer above still sees the repetition), else undefined. Values are already validated.
 */
export function framingLength(message: SipMessage): number | undefined {
  // One value (nearly always): the one validateMessage already parsed and cached.
  const cached = message.headers.cachedAt(CONTENT_LENGTH_SLOT);
  if (cached !== NOT_CACHED) return cached as number | undefined;
  const values = message.headers.getAll('content-length');
  if (values.length === 0) return undefined;
  for (const value of values) if (value !== values[0]) return undefined;
  return SINGLE_HEADERS['content-length'](values[0]);
}

/** RFC 3261 §7.5: CRLFs before the start line are ignored. */
function skipLeadingCrlf(data: Buffer): number {
  let i = 0;
  while (data[i] === CR && data[i + 1] === LF) i += 2;
  return i;
}

/**
 * Parses one message from a datagram (UDP, or one WebSocket message, RFC 7118 §5). Content-Length
 * is optional here (RFC 3261 §18.3); bytes after it are discarded (RFC 4475 §3.1.1.8); a shorter
 * body is SIP_CONTENT_LENGTH_MISMATCH. The body shares memory with `data`.
 */
export function parseMessage(data: Buffer | string, limits?: Partial<SipParseLimits>): SipMessage {
  const resolved = resolveLimits(limits);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.length > resolved.maxMessageBytes)
    throw new SipParseError('SIP_MESSAGE_TOO_LARGE', 'message too large');
  const start = skipLeadingCrlf(bytes);
  const headEnd = bytes.indexOf(HEAD_END, start);
  if (headEnd === -1) throw new SipParseError('SIP_TRUNCATED', 'no empty line after the headers');
  const message = parseHead(bytes.toString('utf8', start, headEnd), resolved);
  const bodyStart = headEnd + HEAD_END.length;
  const length = framingLength(message);
  if (length !== undefined && bodyStart + length > bytes.length) {
    throw new SipParseError(
      'SIP_CONTENT_LENGTH_MISMATCH',
      'body shorter than Content-Length',
      partialOf(message.headers, message.kind === 'request' ? message.method : undefined),
    );
  }
  message.body = bytes.subarray(bodyStart, length === undefined ? bytes.length : bodyStart + length);
  return message;
}
