export * from './auth.config';
export * from './auth.module';
export * from './auth.services';
export * from './auth.consumer';
export * from './auth.records';
export * from './registration-sweeper';
