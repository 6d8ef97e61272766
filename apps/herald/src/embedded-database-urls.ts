import { join } from 'node:path';

/** The database Herald's tables live in, on the embedded server. */
export const EMBEDDED_DATABASE = 'herald';
export const SUPERUSER = 'postgres';
/** Local only (loopback and a socket in the data directory), so a fixed password guards nothing worth a secret. */
export const SUPERUSER_PASSWORD = 'herald';
/** A Unix socket's path holds at most 107 bytes (sun_path, 108 with its NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/** How the embedded PostgreSQL of `dataDirectory` (its own, `<HERALD_DATA_DIR>/pg`) on `port` is reached. */
export interface EmbeddedDatabaseUrls {
  /** Over loopback TCP: what psql, the admin tools and the ready report use. */
  url: string;
  /**
   * Over the Unix socket when there is one (`url` otherwise), for Herald's own pools: fewer
   * system calls per statement than TCP. pg takes the socket directory from `host` (pg's parse of
   * the URL wins over the host TypeORM parses from it).
   */
  localUrl: string;
  /** Where PostgreSQL puts its socket: the data directory, or none when the path is too long. */
  socketDirectory: string | undefined;
}

export function embeddedDatabaseUrls(dataDirectory: string, port: number): EmbeddedDatabaseUrls {
  const url = `postgres://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
  // In the data directory (0700, PostgreSQL's own): no one else reaches it, unlike a shared /tmp.
  const fits =
    !dataDirectory.includes('"') &&
    Buffer.byteLength(join(dataDirectory, `.s.PGSQL.${port}`)) <= MAX_SOCKET_PATH_BYTES;
  return fits
    ? { url, localUrl: `${url}?host=${encodeURIComponent(dataDirectory)}`, socketDirectory: dataDirectory }
    : { url, localUrl: url, socketDirectory: undefined };
}
