export type PersistenceErrorCode =
  'PERSISTENCE_FOREIGN_TRANSACTION' | 'PERSISTENCE_MIGRATION_FAILED' | 'PERSISTENCE_MESSAGE_MISSING';

export class PersistenceError extends Error {
  constructor(
    readonly code: PersistenceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PersistenceError';
  }
}
