import { isToken } from '../grammar';
import { resolveHeaderName } from './header-names';
import { SipHeaders } from './headers';
import { resolveLimits, SipParseLimits } from './limits';
import { PartialMessage, SipParseError } from './parse-error';
import { SipMessage, SipRequest, SipResponse } from './sip-message';
import { responseFields } from './response';
import { parseStartLine } from './start-line';
import { SINGLE_HEADERS } from './typed-headers';
import { validateMessage } from './validate';

/** CR or LF that is not part of a CRLF (RFC 3261 §7: lines end with CRLF). */
const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;
const CR = 0x0d;
const LF = 0x0a;
const HEAD_END = Buffer.from('\r\n\r\n');

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

/** Splits the header block into fields, unfolding continuation lines (RFC 3261 §7.3.1). */
function indexHeaders(
  head: string,
  from: number,
  limits: Readonly<SipParseLimits>,
  headers: SipHeaders,
): void {
  let name = '';
  let value = '';
  let pending = false;
  const flush = (): void => {
    const resolved = resolveHeaderName(name);
    headers.appendParsed({ name: resolved.display, key: resolved.key, value: value.trim() });
  };
  let lineStart = from;
  while (lineStart < head.length) {
    let lineEnd = head.indexOf('\r\n', lineStart);
    if (lineEnd === -1) lineEnd = head.length;
    const line = head.slice(lineStart, lineEnd);
    lineStart = lineEnd + 2;
    if (line.length > limits.maxLineBytes)
      throw new SipParseError('SIP_LINE_TOO_LONG', 'header line too long');
    if (isFoldStart(line.charCodeAt(0))) {
      if (!pending) throw new SipParseError('SIP_BAD_HEADER', 'continuation line without a header');
      value += ' ' + line.trim();
      if (name.length + value.length > limits.maxLineBytes) {
        throw new SipParseError('SIP_LINE_TOO_LONG', 'folded header too long');
      }
      continue;
    }
    if (pending) flush();
    const colon = line.indexOf(':');
    if (colon === -1) throw new SipParseError('SIP_BAD_HEADER', 'header line without ":"');
    // HCOLON = *( SP / HTAB ) ":" SWS: whitespace may precede the colon (RFC 4475 §3.1.1.1).
    name = line.slice(0, colon);
    if (isFoldStart(name.charCodeAt(name.length - 1))) name = name.replace(/[ \t]+$/, '');
    if (!isToken(name)) throw new SipParseError('SIP_BAD_HEADER', 'bad header name');
    value = line.slice(colon + 1);
    pending = true;
    if (headers.size >= limits.maxHeaders)
      throw new SipParseError('SIP_TOO_MANY_HEADERS', 'too many headers');
  }
  if (pending) flush();
}

/**
 * Parses a start line and header block (without the empty line) into a message with an empty body.
 * Shared by the datagram parser and the stream reader. Errors carry the partial headers.
 */
export function parseHead(head: string, limits: Readonly<SipParseLimits>): SipMessage {
  const firstEnd = head.indexOf('\r\n');
  const startLine = firstEnd === -1 ? head : head.slice(0, firstEnd);
  const headers = new SipHeaders();
  try {
    if (BARE_CR_OR_LF.test(head)) throw new SipParseError('SIP_BAD_HEADER', 'bare CR or LF');
    if (startLine.length > limits.maxLineBytes)
      throw new SipParseError('SIP_LINE_TOO_LONG', 'start line too long');
    if (firstEnd !== -1) indexHeaders(head, firstEnd + 2, limits, headers);
    const parsed = parseStartLine(startLine);
    const message =
      parsed.kind === 'request'
        ? new SipRequest({ method: parsed.method, uri: parsed.uri, headers })
        : new SipResponse({ status: parsed.status, reason: parsed.reason, headers });
    validateMessage(message);
    return message;
  } catch (error) {
    if (error instanceof SipParseError) throw error.withPartial(partialOf(headers, methodOf(startLine)));
    throw error;
  }
}

/**
 * The Content-Length that frames the body: undefined when absent; when repeated, the value if all
 * agree (the layer above still sees the repetition), else undefined. Values are already validated.
 */
export function framingLength(message: SipMessage): number | undefined {
  const values = message.headers.getAll('content-length');
  if (values.length === 0 || values.some((v) => v !== values[0])) return undefined;
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
