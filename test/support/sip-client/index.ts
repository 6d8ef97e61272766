export * from './client-transport';
export * from './digest';
export * from './sip-client';
