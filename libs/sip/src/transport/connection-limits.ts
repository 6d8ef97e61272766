import { Server } from 'node:net';
import { Socket } from 'node:net';

/** Default cap on simultaneous connections per transport. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** A connection with no traffic for this long is closed; RFC 5626 §4.4.1 keep-alives (about every 2 min) keep it open. */
export const DEFAULT_CONNECTION_IDLE_MS = 5 * 60 * 1000;

export interface ConnectionLimits {
  maxConnections?: number;
  idleTimeoutMs?: number;
}

/** Node refuses (closes) connections beyond `maxConnections` before any handler sees them. */
export function applyMaxConnections(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
}

/** Calls `onIdle` once the socket saw no traffic in either direction for the idle limit. */
export function watchIdle(socket: Socket, limits: ConnectionLimits, onIdle: () => void): void {
  socket.setTimeout(limits.idleTimeoutMs ?? DEFAULT_CONNECTION_IDLE_MS);
  socket.once('timeout', onIdle);
}
