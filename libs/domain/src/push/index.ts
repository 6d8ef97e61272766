export * from './device-directory';
export * from './command-sender-directory';
export * from './push-gateway';
