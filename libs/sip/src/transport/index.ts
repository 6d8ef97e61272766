export * from './address';
export * from './connection-flow';
export * from './connection-limits';
export * from './flow';
export * from './transport-error';
export * from './udp-transport';
export * from './ws-transport';
