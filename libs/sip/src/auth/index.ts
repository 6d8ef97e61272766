export * from './algorithm';
export * from './authorization';
export * from './challenge';
export * from './digest-error';
export * from './edge-check';
export * from './nonce';
export * from './nonce-count';
export * from './response';
