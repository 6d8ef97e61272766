export * from './event-bus';
export * from './handler-retry';
export * from './in-process-event-bus';
export * from './kafka-event-bus';
export * from './kafka-log';
export * from './kafka-client-options';
export { createKafkaClient } from './kafkajs-request-queue';
export * from './contract-records';
export * from './journaled';
