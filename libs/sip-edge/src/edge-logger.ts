import pino from 'pino';

/** The log lines of the edge: each message starts with a stable code (EDGE_…) that alerts can match. */
export interface EdgeLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const root = pino({ name: 'sip-edge', level: process.env['HERALD_LOG_LEVEL'] ?? 'info' });

/** A logger for one part of the edge (plain pino: the units stay free of NestJS). */
export function edgeLogger(component: string): EdgeLogger {
  const child = root.child({ component });
  return {
    info: (message) => child.info(message),
    warn: (message) => child.warn(message),
    error: (message) => child.error(message),
  };
}
