export * from './clock';
export * from './timers';
