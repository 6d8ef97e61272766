import { isIPv6 } from 'node:net';

/** An IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4 peer). */
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * The source an address counts against: an IPv4 address itself, an IPv6 address by its /64.
 * A /64 is what one subscriber line or host gets (RFC 6177), and it can pick any address in it,
 * so counting single IPv6 addresses would give an attacker 2^64 fresh budgets.
 */
export function sourceKeyOf(address: string): string {
  // The common case, IPv4, costs one scan of a short string.
  if (!address.includes(':')) return address;
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${ipv6Prefix64(address)}::/64`;
}

/** The first four groups of an IPv6 address, each without leading zeros. */
function ipv6Prefix64(address: string): string {
  const withoutZone = address.split('%', 1)[0]!;
  const [head, tail] = withoutZone.split('::', 2) as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  let groups = headGroups;
  if (tail !== undefined) {
    const tailGroups = tail === '' ? [] : tail.split(':');
    // An embedded IPv4 tail (::ffff:a.b.c.d was handled above) counts as two groups.
    const tailLength = tailGroups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
    const zeros: string[] = new Array<string>(8 - headGroups.length - tailLength).fill('0');
    groups = [...headGroups, ...zeros, ...tailGroups];
  }
  return groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':');
}
