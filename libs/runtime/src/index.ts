export * from './bus-consumer';
export * from './kafka-postgres-service';
export * from './service-edge-link';
export * from './service-main';
export * from './interval-sweeper';
export * from './ready-line';
