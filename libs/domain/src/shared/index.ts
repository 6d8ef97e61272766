export * from './unit-of-work';
export * from './idempotency';
