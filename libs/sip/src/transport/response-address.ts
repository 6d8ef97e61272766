import { TransportAddress, TransportProtocol } from './address';

/** Default SIP ports (RFC 3261 §19.1.2): 5061 for TLS, 5060 otherwise; ws/wss ride their connection. */
export function defaultSipPort(protocol: TransportProtocol): number {
  return protocol === 'tls' || protocol === 'wss' ? 5061 : 5060;
}

/** The top Via parameters that decide where an unreliable response goes. */
export interface ViaResponseTarget {
  sentByHost: string;
  sentByPort: number | undefined;
  received: string | undefined;
  /** The rport value the server filled in (RFC 3581 §4); undefined when the client did not ask. */
  rport: number | undefined;
  maddr: string | undefined;
}

/**
 * RFC 3261 §18.2.2 for UDP: maddr if present (port from sent-by), then received with rport
 * (RFC 3581 §4) or the sent-by port, else sent-by itself.
 */
export function udpResponseAddress(via: ViaResponseTarget): TransportAddress {
  const sentByPort = via.sentByPort ?? defaultSipPort('udp');
  if (via.maddr !== undefined) return { address: via.maddr, port: sentByPort };
  const host = via.received ?? via.sentByHost;
  return { address: host, port: via.rport ?? sentByPort };
}
