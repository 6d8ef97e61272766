import { isToken, skipWhitespace, tokenEnd } from '../../grammar/chars';
import { GrammarError } from '../../grammar/grammar-error';
import { isHost, parsePort } from '../../grammar/host';
import { readList } from '../../grammar/name-addr';
import { formatParams, Params, readParams } from '../../grammar/params';
import { isIPv4, isIPv6 } from 'node:net';

/** One Via value (RFC 3261 §20.42, §25.1; rport of RFC 3581). */
export interface Via {
  /** Upper-cased transport: UDP, TCP, TLS, SCTP, WS, WSS or an extension token. */
  readonly transport: string;
  /** sent-by host as written; IPv6 keeps brackets. */
  readonly host: string;
  readonly port: number | undefined;
  readonly branch: string | undefined;
  readonly received: string | undefined;
  /** RFC 3581: true when present without a value (a request asking for it), the number when filled in. */
  readonly rport: number | true | undefined;
  readonly params: Params;
}

export interface ViaRead {
  value: Via;
  end: number;
}

const SIP_2_0_SLASH = 'SIP/2.0/';

function isHostnameChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2e ||
    c === 0x2d
  );
}

/** SLASH = SWS "/" SWS */
function expectSlash(s: string, i: number): number {
  i = skipWhitespace(s, i);
  if (s.charCodeAt(i) !== 0x2f) throw new GrammarError('expected "/" in sent-protocol');
  return skipWhitespace(s, i + 1);
}

/** End of the token at i; GrammarError naming `what` when there is none. */
function tokenEndOf(s: string, i: number, what: string): number {
  const end = tokenEnd(s, i);
  if (end === i) throw new GrammarError(`missing ${what}`);
  return end;
}

/** branch = token (RFC 3261 §20.42); returns it, or undefined when absent. */
function checkedBranch(branch: string | null | undefined): string | undefined {
  if (branch !== undefined && (branch === null || !isToken(branch))) throw new GrammarError('bad branch');
  return branch;
}

/** via-received = "received" EQUAL (IPv4address / IPv6address); RFC 5118 §4.5 allows the bracketed form too. */
function checkedReceived(received: string | null | undefined): string | undefined {
  if (received === undefined) return undefined;
  const bare = received?.startsWith('[') === true ? received.slice(1, -1) : received;
  if (bare === null || !(bare.includes(':') ? isIPv6(bare) : isIPv4(bare)))
    throw new GrammarError('bad received');
  return received ?? undefined;
}

/** RFC 3581: true for an empty rport (a request asking for it), the port once filled in. */
function checkedRport(rport: string | null | undefined): number | true | undefined {
  if (rport === undefined) return undefined;
  return rport === null ? true : parsePort(rport);
}

function checkMaddr(maddr: string | null | undefined): void {
  if (maddr !== undefined && (maddr === null || !isHost(maddr))) throw new GrammarError('bad maddr');
}

/**
 * sent-protocol = protocol-name SLASH protocol-version SLASH transport; only SIP/2.0. Returns where
 * the transport starts.
 */
function sentProtocolTransportStart(s: string, i: number): number {
  // Fast path: nearly every Via is written without whitespace around the slashes.
  if (s.startsWith(SIP_2_0_SLASH, i)) return i + SIP_2_0_SLASH.length;
  const protocolEnd = tokenEndOf(s, i, 'protocol name');
  const versionStart = expectSlash(s, protocolEnd);
  const versionEnd = tokenEndOf(s, versionStart, 'protocol version');
  const transportStart = expectSlash(s, versionEnd);
  const protocol = s.slice(i, protocolEnd);
  const version = s.slice(versionStart, versionEnd);
  if (protocol.toUpperCase() !== 'SIP' || version !== '2.0') {
    throw new GrammarError(`unsupported protocol ${protocol}/${version}`);
  }
  return transportStart;
}

/** via-parm = sent-protocol LWS sent-by *( SEMI via-params ) */
export function readVia(s: string, i: number): ViaRead {
  const transportStart = sentProtocolTransportStart(s, skipWhitespace(s, i));
  const transportEnd = tokenEndOf(s, transportStart, 'transport');
  i = skipWhitespace(s, transportEnd);
  if (i === transportEnd) throw new GrammarError('missing sent-by');
  // sent-by = host [ COLON port ], COLON = SWS ":" SWS
  let hostEnd = i;
  if (s.charCodeAt(i) === 0x5b) {
    hostEnd = s.indexOf(']', i) + 1;
    if (hostEnd === 0) throw new GrammarError('unterminated IPv6 reference');
  } else {
    while (hostEnd < s.length && isHostnameChar(s.charCodeAt(hostEnd))) hostEnd++;
  }
  const host = s.slice(i, hostEnd);
  if (!isHost(host)) throw new GrammarError(`bad sent-by host ${host}`);
  let port: number | undefined;
  i = skipWhitespace(s, hostEnd);
  if (s.charCodeAt(i) === 0x3a) {
    const portStart = skipWhitespace(s, i + 1);
    let portEnd = portStart;
    while (portEnd < s.length && s.charCodeAt(portEnd) >= 0x30 && s.charCodeAt(portEnd) <= 0x39) portEnd++;
    port = parsePort(s.slice(portStart, portEnd));
    i = portEnd;
  }
  const { params, end } = readParams(s, i);
  // Each parameter read once, checked and kept (in the order they were checked before).
  const branch = checkedBranch(params.get('branch'));
  const received = checkedReceived(params.get('received'));
  const rport = checkedRport(params.get('rport'));
  checkMaddr(params.get('maddr'));
  return {
    value: {
      transport: s.slice(transportStart, transportEnd).toUpperCase(),
      host,
      port,
      branch,
      received,
      rport,
      params,
    },
    end,
  };
}

/** Serializes a Via value (for building requests and the received/rport a server adds). */
export function formatVia(via: Via): string {
  return `SIP/2.0/${via.transport} ${via.host}${via.port === undefined ? '' : `:${via.port}`}${formatParams(via.params)}`;
}

/** Every Via value of the given header lines, in order. */
export function readViaList(values: readonly string[]): Via[] {
  const vias: Via[] = [];
  for (const value of values) readList(value, readVia, vias);
  return vias;
}
