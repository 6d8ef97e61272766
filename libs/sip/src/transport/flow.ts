import { SipMessage, SipParseError } from '../message';
import { TransportAddress, TransportProtocol } from './address';

/**
 * One path to a device: a UDP socket plus remote address, or one connection. The id is stable,
 * so a registration can name it and later requests go back over the same socket or connection
 * (RFC 5626 §3.1).
 */
export interface Flow {
  readonly id: string;
  readonly protocol: TransportProtocol;
  readonly reliable: boolean;
  readonly local: TransportAddress;
  readonly remote: TransportAddress;
  /** False once the connection (or the UDP socket) is closed; sending then fails with `flow-closed`. */
  isOpen(): boolean;
  send(data: Buffer): Promise<void>;
}

/** What a transport reports upwards. */
export interface TransportHandlers {
  /** One valid SIP message (from a datagram, a framed stream message, a WebSocket message). */
  message(message: SipMessage, flow: Flow): void;
  /** A message that was framed but is invalid: answer 400 from `error.partial` if it is a request. */
  invalidMessage(error: SipParseError, flow: Flow): void;
  flowClosed(flow: Flow): void;
  error(error: Error, flow?: Flow): void;
}

/** One listening SIP transport (RFC 3261 §18): UDP, TCP, TLS, WS or WSS. */
export interface Transport {
  readonly protocol: TransportProtocol;
  readonly reliable: boolean;
  /** Starts listening; resolves with the bound address (port 0 picks an ephemeral port). */
  start(handlers: TransportHandlers): Promise<TransportAddress>;
  /** Stops listening and closes every connection. */
  stop(): Promise<void>;
  /** The flow with this id if this transport made it and it is still open. */
  findFlow(flowId: string): Flow | undefined;
}
