export type TransportErrorCode =
  'flow-closed' | 'no-flow' | 'send-failed' | 'framing-error' | 'listen-failed' | 'socket-error';

/** Any failure of the transport layer; `code` is stable for callers (e.g. `no-flow` for the edge). */
export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}
