/** Stable codes of contract failures, for logs, metrics and dead-letter decisions. */
export type ContractErrorCode =
  'CONTRACT_MALFORMED_JSON' | 'CONTRACT_INVALID_PAYLOAD' | 'CONTRACT_UNKNOWN_TYPE';

/** A payload that does not satisfy its contract: raised by every `decode` and `encode`. */
export class ContractError extends Error {
  constructor(
    readonly code: ContractErrorCode,
    /** The contract (topic or event type) the payload was checked against. */
    readonly contract: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${contract}: ${message}`, options);
    this.name = 'ContractError';
  }
}
