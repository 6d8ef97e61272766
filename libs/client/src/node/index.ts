// The SDK's Node entry (`@herald/client/node`): carriers over UDP, TCP, TLS, WS and WSS on the SDK's
// own user agent (libs/sip's parser and transactions), and the device it is built on.
export { ClientClock } from './client-clock';
export * from './digest';
export { sipCarrier, type SipCarrierOptions } from './sip-carrier';
export * from './sip-device';
export * from './sip-flow';
