export * from './sql-client';
export * from './journaled-event-bus';
