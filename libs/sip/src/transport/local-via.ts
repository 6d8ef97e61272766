import { formatAddress, viaTransportToken } from './address';
import { Flow } from './flow';

/**
 * The Via a request sent over this flow carries (RFC 3261 §18.1.1, RFC 7118 §5.2 for WS/WSS), with
 * `rport` so a device behind NAT answers to the address the request came from (RFC 3581 §3).
 */
export function localVia(flow: Flow, branch: string): string {
  return `SIP/2.0/${viaTransportToken(flow.protocol)} ${formatAddress(flow.local)};branch=${branch};rport`;
}
