import { resolveLimits, SipParseLimits } from './limits';
import { framingLength, parseHead } from './parse';
import { SipParseError } from './parse-error';
import { SipMessage } from './sip-message';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
/** CRLF CRLF that ends the header block. */
const HEAD_TERMINATOR_BYTES = 4;
/** Content-Length lines, to keep framing when the head is otherwise invalid (RFC 3261 §18.3). */
const CONTENT_LENGTH_LINE = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$/gim;

export interface SipStreamHandlers {
  /** A complete, valid message. */
  onMessage(message: SipMessage): void;
  /** RFC 5626 §4.4.1: a double-CRLF ping arrived; the transport answers with one CRLF (pong). */
  onKeepAlivePing(): void;
  /**
   * A message that was framed correctly but is invalid: answer 400 from `error.partial` when it is
   * a request, and keep reading the stream.
   */
  onInvalidMessage(error: SipParseError): void;
}

type State = 'between' | 'head' | 'body' | 'failed';

/**
 * Content-Length framing of SIP over TCP, TLS (RFC 3261 §18.3) as a byte-driven state machine:
 * `between` messages (CRLF keep-alives), `head` (scanning lines up to the empty one, enforcing the
 * limits on every chunk so a never-ending line or header block fails early), `body` (collecting
 * exactly Content-Length bytes). push() throws SipParseError when framing is lost; the connection
 * must then be closed, and any later push throws the same error.
 */
export class SipStreamReader {
  private readonly limits: Readonly<SipParseLimits>;
  private state: State = 'between';
  private failure: SipParseError | undefined;
  // between: keep-alive tracking
  private crlfCount = 0;
  private sawCr = false;
  // head: scanning
  private headChunks: Buffer[] = [];
  private headBytes = 0;
  private lineBytes = 0;
  private lineStartsWithWhitespace = false;
  private lastByte = 0;
  private fieldBytes = 0;
  private headerLines = 0;
  // body: collecting
  private bodyChunks: Buffer[] = [];
  private bodyBytes = 0;
  private bodyLength = 0;
  private pending: SipMessage | SipParseError | undefined;

  constructor(
    private readonly handlers: SipStreamHandlers,
    limits?: Partial<SipParseLimits>,
  ) {
    this.limits = resolveLimits(limits);
  }

  /** Bytes held for an incomplete message; never more than maxMessageBytes. */
  get bufferedBytes(): number {
    return this.headBytes + this.bodyBytes;
  }

  push(chunk: Buffer): void {
    if (this.failure !== undefined) throw this.failure;
    try {
      let rest = chunk;
      while (rest.length > 0) {
        if (this.state === 'between') rest = this.between(rest);
        else if (this.state === 'head') rest = this.head(rest);
        else rest = this.body(rest);
      }
    } catch (error) {
      if (error instanceof SipParseError) this.fail(error);
      throw error;
    }
  }

  private fail(error: SipParseError): void {
    this.state = 'failed';
    this.failure = error;
    this.headChunks = [];
    this.bodyChunks = [];
    this.headBytes = 0;
    this.bodyBytes = 0;
  }

  /** Between messages only CRLFs may appear: two make a ping, one alone is ignored (RFC 5626 §3.5.1). */
  private between(chunk: Buffer): Buffer {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.sawCr) {
        if (b !== LF) throw new SipParseError('SIP_BAD_START_LINE', 'bare CR before the start line');
        this.sawCr = false;
        if (++this.crlfCount === 2) {
          this.crlfCount = 0;
          this.handlers.onKeepAlivePing();
        }
      } else if (b === CR) {
        this.sawCr = true;
      } else {
        this.crlfCount = 0;
        this.startHead();
        return chunk.subarray(i);
      }
    }
    return chunk.subarray(chunk.length);
  }

  private startHead(): void {
    this.state = 'head';
    this.headChunks = [];
    this.headBytes = 0;
    this.lineBytes = 0;
    this.fieldBytes = 0;
    this.headerLines = 0;
    this.lastByte = 0;
  }

  /** Scans line by line (indexOf jumps), checking the limits before anything is kept. */
  private head(chunk: Buffer): Buffer {
    const { maxLineBytes, maxMessageBytes, maxHeaders } = this.limits;
    let i = 0;
    while (i < chunk.length) {
      const lf = chunk.indexOf(LF, i);
      const segmentEnd = lf === -1 ? chunk.length : lf;
      if (this.lineBytes === 0 && segmentEnd > i) {
        this.lineStartsWithWhitespace = chunk[i] === SP || chunk[i] === HTAB;
      }
      this.lineBytes += segmentEnd - i;
      const lineSoFar = this.lineStartsWithWhitespace ? this.fieldBytes + this.lineBytes : this.lineBytes;
      // +1: the CR of the line is counted until its LF arrives.
      if (lineSoFar > maxLineBytes + 1) throw new SipParseError('SIP_LINE_TOO_LONG', 'header line too long');
      if (this.headBytes + segmentEnd + 1 - i > maxMessageBytes) {
        throw new SipParseError('SIP_MESSAGE_TOO_LARGE', 'header block too large');
      }
      if (lf === -1) {
        this.lastByte = chunk[chunk.length - 1];
        this.keepHead(chunk);
        return chunk.subarray(chunk.length);
      }
      const beforeLf = lf > i ? chunk[lf - 1] : this.lastByte;
      if (beforeLf !== CR) throw new SipParseError('SIP_BAD_HEADER', 'line ended by a bare LF');
      const lineLength = this.lineBytes - 1;
      this.lineBytes = 0;
      this.lastByte = LF;
      i = lf + 1;
      if (lineLength === 0) {
        this.keepHead(chunk.subarray(0, i));
        this.finishHead();
        return chunk.subarray(i);
      }
      if (this.lineStartsWithWhitespace) {
        this.fieldBytes += lineLength;
      } else {
        this.fieldBytes = lineLength;
        // The first line is the start line, not a header.
        if (++this.headerLines > maxHeaders + 1)
          throw new SipParseError('SIP_TOO_MANY_HEADERS', 'too many headers');
      }
    }
    this.keepHead(chunk);
    return chunk.subarray(chunk.length);
  }

  private keepHead(part: Buffer): void {
    if (part.length === 0) return;
    this.headChunks.push(part);
    this.headBytes += part.length;
  }

  private finishHead(): void {
    const head = Buffer.concat(this.headChunks, this.headBytes);
    const headBytes = this.headBytes;
    this.headChunks = [];
    this.headBytes = 0;
    const text = head.toString('utf8', 0, head.length - HEAD_TERMINATOR_BYTES);
    let length: number;
    try {
      const message = parseHead(text, this.limits);
      const framed = framingLength(message);
      if (framed === undefined) {
        throw message.headers.has('content-length')
          ? new SipParseError('SIP_BAD_HEADER', 'conflicting Content-Length headers')
          : new SipParseError('SIP_MISSING_CONTENT_LENGTH', 'Content-Length is required on streams');
      }
      length = framed;
      this.pending = message;
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      const recovered = recoverLength(text);
      if (recovered === undefined) throw error;
      length = recovered;
      this.pending = error;
    }
    if (headBytes + length > this.limits.maxMessageBytes) {
      throw new SipParseError('SIP_MESSAGE_TOO_LARGE', 'message too large');
    }
    this.state = 'body';
    this.bodyChunks = [];
    this.bodyBytes = 0;
    this.bodyLength = length;
    if (length === 0) this.deliver();
  }

  private body(chunk: Buffer): Buffer {
    const take = Math.min(chunk.length, this.bodyLength - this.bodyBytes);
    if (take > 0) {
      this.bodyChunks.push(chunk.subarray(0, take));
      this.bodyBytes += take;
    }
    if (this.bodyBytes === this.bodyLength) this.deliver();
    return chunk.subarray(take);
  }

  private deliver(): void {
    const pending = this.pending;
    const body = Buffer.concat(this.bodyChunks, this.bodyLength);
    this.pending = undefined;
    this.bodyChunks = [];
    this.bodyBytes = 0;
    this.state = 'between';
    if (pending instanceof SipParseError) {
      this.handlers.onInvalidMessage(pending);
    } else if (pending !== undefined) {
      pending.body = body;
      this.handlers.onMessage(pending);
    }
  }
}

/** The one Content-Length an invalid head states, if it states exactly one value. */
function recoverLength(head: string): number | undefined {
  const values = new Set<string>();
  for (const match of head.matchAll(CONTENT_LENGTH_LINE)) values.add(String(Number(match[1])));
  if (values.size !== 1) return undefined;
  const [value] = values;
  return Number(value);
}
