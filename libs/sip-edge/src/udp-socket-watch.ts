import { observeCounter } from '#herald/observability';
import { UdpTransport } from '#herald/sip';
import type { EdgeLogger } from './edge-logger';

/**
 * Logs the receive buffer each started UDP socket got, with a warning naming the sysctl when the
 * kernel granted less than HERALD_SIP_UDP_RECEIVE_BUFFER_BYTES asked; and counts the kernel's
 * receive drops on them as herald_sip_udp_receive_drops_total, read at each metrics collection.
 * Returns the removal of that count, for when the sockets close.
 */
export function watchUdpSockets(sockets: readonly UdpTransport[], logger: EdgeLogger): () => void {
  for (const socket of sockets) {
    const buffer = socket.receiveBuffer;
    if (buffer === undefined) continue;
    const asked =
      buffer.requestedBytes === undefined ? 'the kernel default' : `${buffer.requestedBytes} bytes`;
    if (buffer.capped) {
      logger.warn(
        'EDGE_UDP_RECEIVE_BUFFER_CAPPED',
        `asked ${asked} (HERALD_SIP_UDP_RECEIVE_BUFFER_BYTES), the kernel ` +
          `granted SO_RCVBUF=${buffer.effectiveBytes}: raise the sysctl net.core.rmem_max to at least ` +
          `${buffer.requestedBytes} on the host`,
      );
    } else {
      logger.info(
        'EDGE_UDP_RECEIVE_BUFFER',
        `asked ${asked}, the kernel granted SO_RCVBUF=${buffer.effectiveBytes}`,
      );
    }
  }
  return observeCounter('sipUdpReceiveDrops', async () => {
    let drops = 0;
    for (const socket of sockets) drops += (await socket.receiveDrops()) ?? 0;
    return drops;
  });
}
