export * from './clock';
export * from './keys';
export * from './non-invite-client';
export * from './non-invite-server';
export * from './timers';
export * from './transaction-error';
export * from './transaction-layer';
export * from './message-keys';
