export type TransactionErrorCode =
  | 'transaction-terminated'
  | 'response-not-allowed'
  | 'duplicate-transaction'
  | 'missing-branch'
  | 'stray-response'
  | 'unanswered';

export class TransactionError extends Error {
  constructor(
    readonly code: TransactionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransactionError';
  }
}
