export * from './shared';
export * from './push';
