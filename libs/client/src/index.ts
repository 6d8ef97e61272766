export * from './carrier';
export * from './errors';
export * from './herald-client';
export * from './protocol';
export * from './reconnect-delay';
export { md5ChallengeLast } from './challenge-order';
export { sipJsCarrier, type SipJsCarrierOptions } from './sipjs-carrier';
