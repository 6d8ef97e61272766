export * from './unit-of-work';
export * from './idempotency';
export * from './aor';
export * from './account-directory';
export * from './group-commit';
export * from './claim-retention';
export * from './event-publisher';
export * from './lock-order';
