export * from './event-bus';
export * from './handler-retry';
export * from './in-process-event-bus';
export * from './kafka-event-bus';
export * from './kafka-log';
export * from './create-event-bus';
export * from './contract-records';
export * from './journaled';
