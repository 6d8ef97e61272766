import { parseMessage, SipParseError, SipParseLimits } from '../message';
import { Flow, TransportHandlers } from './flow';

/** One datagram or WebSocket message is one SIP message (RFC 3261 §18.1.1, RFC 7118 §5). */
export function deliverDatagram(
  data: Buffer,
  flow: Flow,
  handlers: TransportHandlers,
  limits: Partial<SipParseLimits> | undefined,
): void {
  try {
    handlers.message(parseMessage(data, limits), flow);
  } catch (error) {
    if (!(error instanceof SipParseError)) throw error;
    handlers.invalidMessage(error, flow);
  }
}
