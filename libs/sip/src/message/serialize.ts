import { SipMessage } from './sip-message';

const CRLF = '\r\n';

/** The start line: Request-Line or Status-Line (RFC 3261 §7.1, §7.2). */
function startLine(message: SipMessage): string {
  return message.kind === 'request'
    ? `${message.method} ${message.uri} SIP/2.0`
    : `SIP/2.0 ${message.status} ${message.reason}`;
}

/**
 * Wire form of a message. Headers keep their order and values; Content-Length is always written,
 * last, from the actual body (RFC 3261 §18.3 makes it mandatory on streams and Herald always sends it).
 */
export function serializeMessage(message: SipMessage): Buffer {
  let head = startLine(message) + CRLF;
  for (const field of message.headers) {
    if (field.key !== 'content-length') head += `${field.name}: ${field.value}${CRLF}`;
  }
  head += `Content-Length: ${message.body.length}${CRLF}${CRLF}`;
  if (message.body.length === 0) return Buffer.from(head, 'utf8');
  // One buffer for head and body: encoding the head apart and concatenating copied it twice.
  const headLength = Buffer.byteLength(head, 'utf8');
  const wire = Buffer.allocUnsafe(headLength + message.body.length);
  wire.write(head, 0, 'utf8');
  message.body.copy(wire, headLength);
  return wire;
}
