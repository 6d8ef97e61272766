import { componentLogger } from '#herald/observability';

/** Extra fields of a line (flow, txKey, pushId…); `err` for an Error (pino writes its type, message and stack). */
export type EdgeLogFields = Readonly<Record<string, unknown>>;

/**
 * The log lines of the edge: each carries a stable code (EDGE_…) as its `code` field, which alerts
 * and searches match, and a readable message.
 */
export interface EdgeLogger {
  info(code: string, message: string, fields?: EdgeLogFields): void;
  warn(code: string, message: string, fields?: EdgeLogFields): void;
  error(code: string, message: string, fields?: EdgeLogFields): void;
}

/** A logger for one part of the edge (plain pino: the units stay free of NestJS). */
export function edgeLogger(component: string): EdgeLogger {
  const child = componentLogger(component);
  return {
    info: (code, message, fields) => child.info({ ...fields, code }, message),
    warn: (code, message, fields) => child.warn({ ...fields, code }, message),
    error: (code, message, fields) => child.error({ ...fields, code }, message),
  };
}
