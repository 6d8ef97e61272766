export * from './message';
export * from './ports';
export * from './im-error';
export { IM_DELIVERY_PUSH_ID_PREFIX, IM_ROUTER_ORIGIN } from './im-pushes';
export { type ImRouterDependencies, PLAIN_DEVICE_LOGIN_GRACE_MS } from './im-routing';
export { PLAIN_DEVICE_BATCH_SIZE } from './plain-device-sweep';
export * from './im-router';
export * from './message-retention';
