export * from './read-settings';
export * from './herald-config';
export * from './sip-edge-settings';
export * from './kafka-security-settings';
export * from './embedded-data';
export * from './embedded-settings';
export * from './auth-settings';
export * from './telemetry-settings';
