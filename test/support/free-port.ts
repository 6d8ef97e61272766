import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 nobody listens on now, for programs that cannot pick an ephemeral port
 * themselves (the embedded PostgreSQL, baresip's ctrl_tcp).
 */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('the kernel gave no ephemeral port')),
      );
    });
  });
}
