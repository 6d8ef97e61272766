// The auth service as a Nest module (and its account service for the CLI and the demo accounts), for
// apps/auth (standalone) and apps/herald (embedded).
export * from './auth.config';
export * from './auth.module';
export * from './auth.services';
export * from './auth.consumer';
export * from './auth.records';
export * from './registration-sweeper';
export * from './admin/admin.module';
