export type ImErrorCode = 'IM_RUN_MESSAGE_MISSING' | 'IM_LOOKUP_GATEWAY_PUBLISHED' | 'IM_RECIPIENT_UNCHECKED';

/** A failure of the IM domain, with a stable code for logs and metrics. */
export class ImError extends Error {
  constructor(
    readonly code: ImErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImError';
  }
}
