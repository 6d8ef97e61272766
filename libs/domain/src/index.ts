export * from './shared';
export * from './push';
export * from './im';
export * from './presence';
export * from './auth';
