import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { TransportAddress } from './address';

/** One socket of the kernel's UDP table of this network namespace (Linux /proc/net/udp, /proc/net/udp6). */
export interface UdpSocketTableRow {
  local: TransportAddress;
  /** Datagrams the kernel dropped for this socket since it was opened (mostly: receive queue full). */
  drops: number;
}

/** Fields of a row (net/ipv4/udp.c udp4_format_sock): `sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops`. */
const LOCAL_ADDRESS_FIELD = 1;
const DROPS_FIELD = 12;
const WORD_HEX_DIGITS = 8;

/**
 * Parses the text of /proc/net/udp or /proc/net/udp6. The kernel prints an address as its 32-bit
 * words in hex, each in host byte order, then `:` and the port in hex; `littleEndian` is the host's.
 */
export function parseUdpSocketTable(text: string, littleEndian = endianness() === 'LE'): UdpSocketTableRow[] {
  const rows: UdpSocketTableRow[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // The header (`sl local_address ...`) and the empty last line have no `N:` first field.
    if (fields.length <= DROPS_FIELD || !/^\d+:$/.test(fields[0]!)) continue;
    const [addressHex, portHex] = fields[LOCAL_ADDRESS_FIELD]!.split(':');
    rows.push({
      local: { address: addressFromHex(addressHex!, littleEndian), port: parseInt(portHex!, 16) },
      drops: Number(fields[DROPS_FIELD]),
    });
  }
  return rows;
}

function addressFromHex(hex: string, littleEndian: boolean): string {
  const bytes = Buffer.alloc(hex.length / 2);
  for (let word = 0; word * WORD_HEX_DIGITS < hex.length; word += 1) {
    const value = parseInt(hex.slice(word * WORD_HEX_DIGITS, (word + 1) * WORD_HEX_DIGITS), 16);
    if (littleEndian) bytes.writeUInt32LE(value, word * 4);
    else bytes.writeUInt32BE(value, word * 4);
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 2)
    groups.push(bytes.readUInt16BE(offset).toString(16));
  return canonicalAddress(groups.join(':'));
}

/** One spelling per address (RFC 5952 for IPv6, as the WHATWG URL parser writes it), so two spellings compare equal. */
function canonicalAddress(address: string): string {
  if (!address.includes(':')) return address;
  // A zone (fe80::1%eth0) is not part of the table's address.
  return new URL(`http://[${address.split('%')[0]}]`).hostname.slice(1, -1);
}

/**
 * The kernel's receive-drop counter of the UDP socket bound to `local` in this network namespace.
 * The bound address and port name one socket: Node binds without SO_REUSEADDR / SO_REUSEPORT, so
 * no other socket shares them. Undefined where there is no such table (not Linux) or no such socket.
 */
export async function readUdpReceiveDrops(local: TransportAddress): Promise<number | undefined> {
  const table = local.address.includes(':') ? '/proc/net/udp6' : '/proc/net/udp';
  let text: string;
  try {
    text = await readFile(table, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const address = canonicalAddress(local.address);
  return parseUdpSocketTable(text).find(
    (row) => row.local.port === local.port && row.local.address === address,
  )?.drops;
}
