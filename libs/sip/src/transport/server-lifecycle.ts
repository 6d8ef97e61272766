import { Server } from 'node:net';
import { TransportAddress } from './address';
import { TransportError } from './transport-error';

/** Binds a connection server and resolves with the bound address. */
export function listenServer(
  server: Server,
  host: string,
  port: number,
  label: string,
): Promise<TransportAddress> {
  return new Promise((resolve, reject) => {
    const onError = (cause: Error): void =>
      reject(new TransportError('listen-failed', `${label} listen ${host}:${port}`, { cause }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const bound = server.address();
      if (bound === null || typeof bound === 'string') {
        reject(new TransportError('listen-failed', `${label} bound to no inet address`));
        return;
      }
      resolve({ address: bound.address, port: bound.port });
    });
  });
}

/** Stops accepting and resolves once the server is closed (connections are closed by the caller). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) =>
    server.close((cause) => (cause === undefined ? resolve() : reject(cause))),
  );
}
