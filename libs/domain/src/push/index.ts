export * from './device-directory';
export * from './push-gateway';
