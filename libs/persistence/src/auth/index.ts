export * from './auth.entities';
export * from './account-repository';
export * from './registration-repository';
export * from './session-repository';
export * from './device-directory';
export * from './migrations/1795493286458-auth-accounts-registrations-sessions';
export * from './migrations/1795500100000-auth-registrations-json-client';
export * from './account-directory';
