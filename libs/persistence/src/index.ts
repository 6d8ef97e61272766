export * from './persistence-error';
export * from './naming-strategy';
export * from './registry';
export * from './data-source';
export * from './migration-runner';
export * from './unit-of-work';
export * from './idempotency';
export * from './migrations/1767225600000-processed-commands';
