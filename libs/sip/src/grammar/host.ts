import { isIPv6 } from 'node:net';
import { digitsValue, isDigits } from './chars';
import { GrammarError } from './grammar-error';

/** Largest port number; ports are 1*DIGIT in the ABNF but must fit 16 bits to be usable. */
const MAX_PORT = 65535;

export interface HostPort {
  /** Host as written; IPv6 references keep their brackets (RFC 5118). */
  host: string;
  port: number | undefined;
}

const DOT = 0x2e;
const HYPHEN = 0x2d;

function isAlphanumeric(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * hostname = *( domainlabel "." ) toplabel [ "." ], labels of alphanumerics and inner hyphens.
 * Dotted IPv4 addresses have the same shape, so this accepts them too (one scan, no regex).
 */
function isHostname(host: string): boolean {
  let labelLength = 0;
  let previous = DOT;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c === DOT) {
      if (labelLength === 0 || previous === HYPHEN) return false;
      labelLength = 0;
    } else if (c === HYPHEN) {
      if (labelLength === 0) return false;
      labelLength++;
    } else if (isAlphanumeric(c)) {
      labelLength++;
    } else {
      return false;
    }
    previous = c;
  }
  return previous !== HYPHEN && (labelLength > 0 || host.length > 1);
}

/** host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1; RFC 5118 §4.10 for IPv6). */
export function isHost(host: string): boolean {
  if (host.charCodeAt(0) === 0x5b) {
    return host.charCodeAt(host.length - 1) === 0x5d && isIPv6(host.slice(1, -1));
  }
  return isHostname(host);
}

export function parsePort(text: string): number {
  if (!isDigits(text) || text.length > 5) throw new GrammarError(`bad port ${text}`);
  const port = digitsValue(text);
  if (port > MAX_PORT) throw new GrammarError(`port out of range ${text}`);
  return port;
}

/** hostport = host [ ":" port ]; an IPv6 address must be bracketed, so a bare one is rejected. */
export function parseHostPort(text: string): HostPort {
  let hostEnd: number;
  if (text.charCodeAt(0) === 0x5b) {
    hostEnd = text.indexOf(']') + 1;
    if (hostEnd === 0) throw new GrammarError('unterminated IPv6 reference');
  } else {
    hostEnd = text.indexOf(':');
    if (hostEnd === -1) hostEnd = text.length;
  }
  const host = text.slice(0, hostEnd);
  if (!isHost(host)) throw new GrammarError(`bad host ${host}`);
  if (hostEnd === text.length) return { host, port: undefined };
  if (text.charCodeAt(hostEnd) !== 0x3a) throw new GrammarError(`bad host ${text}`);
  return { host, port: parsePort(text.slice(hostEnd + 1)) };
}

/** Host without IPv6 brackets, as socket APIs want it. */
export function bareHost(host: string): string {
  return host.charCodeAt(0) === 0x5b ? host.slice(1, -1) : host;
}
