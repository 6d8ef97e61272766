import { isIP } from 'node:net';
import { formatVia, readVia, SipRequest, Via } from '../message';
import { TransportAddress } from './address';
import { Flow } from './flow';
import { defaultSipPort, udpResponseAddress } from './response-address';

const VIA = 'via';

function bareHost(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

/**
 * RFC 3261 §18.2.1: add `received` when sent-by is a name or another address than the packet's
 * source; RFC 3581 §4: fill in an empty `rport` (and then always add `received`). Only the top Via
 * changes, the rest of its header line is kept as written.
 */
export function stampReceived(request: SipRequest, flow: Flow): void {
  const first = request.headers.get(VIA);
  if (first === undefined) return;
  const { via, rest } = topViaOf(request, first);
  const source = flow.remote.address;
  const asksForRport = via.rport === true;
  const sentByIsSource = isIP(bareHost(via.host)) !== 0 && bareHost(via.host) === source;
  if (sentByIsSource && !asksForRport) return;
  const params = new Map(via.params);
  params.set('received', source);
  if (asksForRport) params.set('rport', String(flow.remote.port));
  const stamped: Via = {
    ...via,
    received: source,
    rport: asksForRport ? flow.remote.port : via.rport,
    params,
  };
  request.headers.replaceFirst('Via', formatVia(stamped) + rest);
  // A request with one Via (a client's): the stamped value is its whole Via list, kept as it reads
  // back, so the transaction key and the response address parse no Via again (~1 % of the edge's
  // CPU per REGISTER).
  if (rest.trim() === '' && request.headers.getAll(VIA).length === 1) request.headers.cache(VIA, [stamped]);
}

/**
 * The top Via (whose line is `first`) and the text after it on its line. A client's request has one
 * Via, which the parser's eager checks parsed already: taken from the cache, not parsed again.
 */
function topViaOf(request: SipRequest, first: string): { via: Via; rest: string } {
  const parsed = request.headers.cached(VIA);
  if (Array.isArray(parsed) && parsed.length === 1 && request.headers.getAll(VIA).length === 1) {
    return { via: parsed[0] as Via, rest: '' };
  }
  const top = readVia(first, 0);
  return { via: top.value, rest: first.slice(top.end) };
}

/** Where a UDP response to this request goes, from its (stamped) top Via (RFC 3261 §18.2.2). */
export function udpResponseTarget(request: SipRequest): TransportAddress | undefined {
  const via = request.topVia;
  if (via === undefined) return undefined;
  return udpResponseAddress({
    sentByHost: bareHost(via.host),
    sentByPort: via.port ?? defaultSipPort('udp'),
    received: via.received === undefined ? undefined : bareHost(via.received),
    rport: typeof via.rport === 'number' ? via.rport : undefined,
    maddr: via.params.get('maddr') ?? undefined,
  });
}
