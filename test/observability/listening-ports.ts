import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** TCP state LISTEN in /proc/net/tcp{,6}. */
const TCP_LISTEN = '0A';

/**
 * The TCP ports a local process listens on (Linux /proc): how a test finds the HTTP port of a
 * child started with HERALD_HTTP_PORT=0, which the app does not print.
 */
export function listeningTcpPorts(pid: number): number[] {
  const socketInodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch (error) {
      // A descriptor closed between the listing and the read is simply not a listener.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) socketInodes.add(inode);
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (fields.length < 10 || fields[3] !== TCP_LISTEN || !socketInodes.has(fields[9]!)) continue;
      ports.add(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return [...ports];
}
