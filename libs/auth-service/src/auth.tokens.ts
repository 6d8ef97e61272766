/** Injection tokens of AuthModule.register's dependencies. */
export const AUTH_BUS = Symbol('AUTH_BUS');
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
export const AUTH_SERVICES = Symbol('AUTH_SERVICES');
/** The topics auth's consumer subscribes to. */
export const AUTH_CONSUMED_TOPICS = Symbol('AUTH_CONSUMED_TOPICS');
