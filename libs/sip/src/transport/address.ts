/** The SIP transports Herald serves (RFC 3261 §18, RFC 7118 for ws/wss). */
export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface TransportAddress {
  address: string;
  port: number;
}

/** Reliable transports do not retransmit (RFC 3261 §17.1.2.2) and answer over the same connection. */
export function isReliableProtocol(protocol: TransportProtocol): boolean {
  return protocol !== 'udp';
}

/** The Via transport token for a protocol (RFC 3261 §20.42, RFC 7118 §5.2). */
export function viaTransportToken(protocol: TransportProtocol): string {
  return protocol.toUpperCase();
}

export function formatAddress(address: TransportAddress): string {
  return address.address.includes(':')
    ? `[${address.address}]:${address.port}`
    : `${address.address}:${address.port}`;
}
