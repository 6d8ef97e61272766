import { createSocket } from 'node:dgram';
import { parseUdpSocketTable, readUdpReceiveDrops } from './udp-socket-table';

// Captured from a Linux x86-64 host (little-endian): the header, then one row per socket.
const UDP4 = [
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            ',
  '  665: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1196511 2 00000000d2628cd5 190     ',
  ' 1005: 00000000:B94D 00000000:0000 07 00000000:00034000 00:00000000 00000000  1000        0 1196505 2 00000000444242cd 0       ',
  '',
].join('\n');
const UDP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
  ' 3603: 00000000000000000000000001000000:13C4 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1196878 2 0000000092dd0de8 7',
  ' 3604: 00000000000000000000000000000000:13C5 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1196879 2 0000000092dd0de9 0',
  ' 3605: 0000000000000000FFFF00000100007F:13C6 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1196880 2 0000000092dd0dea 3',
  ' 3606: 000080FE00000000000000000100000A:13C7 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1196881 2 0000000092dd0deb 4',
].join('\n');

describe('parseUdpSocketTable', () => {
  it('reads the local address, port and drops of each IPv4 socket, skipping the header', () => {
    expect(parseUdpSocketTable(UDP4, true)).toEqual([
      { local: { address: '127.0.0.1', port: 5060 }, drops: 190 },
      { local: { address: '0.0.0.0', port: 0xb94d }, drops: 0 },
    ]);
  });

  it('reads IPv6 addresses word by word in host byte order, in their RFC 5952 spelling', () => {
    expect(parseUdpSocketTable(UDP6, true)).toEqual([
      { local: { address: '::1', port: 5060 }, drops: 7 },
      { local: { address: '::', port: 5061 }, drops: 0 },
      { local: { address: '::ffff:7f00:1', port: 5062 }, drops: 3 },
      { local: { address: 'fe80::a00:1', port: 5063 }, drops: 4 },
    ]);
  });

  it('reads the words of a big-endian host as they stand', () => {
    const row =
      '  1: 7F000001:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 2 0000000000000000 5';
    expect(parseUdpSocketTable(row, false)).toEqual([
      { local: { address: '127.0.0.1', port: 5060 }, drops: 5 },
    ]);
  });
});

describe('readUdpReceiveDrops (this host)', () => {
  it("finds a bound socket's row by address and port, and none for another address on that port", async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    try {
      const { address, port } = socket.address();
      expect(await readUdpReceiveDrops({ address, port })).toBe(0);
      // While this socket (no SO_REUSEADDR) holds 127.0.0.1:port, no socket can hold 0.0.0.0:port,
      // whereas another process on this shared host may well hold 127.0.0.2:port.
      expect(await readUdpReceiveDrops({ address: '0.0.0.0', port })).toBeUndefined();
    } finally {
      socket.close();
    }
  });
});
