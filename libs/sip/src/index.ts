// Public surface of the Herald SIP stack. Pure library: no NestJS, no Herald imports.
export * from './grammar';
export * from './message';
export * from './auth';
export * from './transaction';
export * from './transport';
export * from './presence';
