/** Injection tokens of PresenceModule.register's dependencies. */
export const PRESENCE_BUS = Symbol('PRESENCE_BUS');
export const PRESENCE_CONFIG = Symbol('PRESENCE_CONFIG');
/** The topics presence's consumer subscribes to. */
export const PRESENCE_CONSUMED_TOPICS = Symbol('PRESENCE_CONSUMED_TOPICS');
export const PRESENCE_SERVICE_TOKEN = Symbol('PRESENCE_SERVICE');
export const PRESENCE_PUBLICATIONS_TOKEN = Symbol('PRESENCE_PUBLICATIONS');
export const PRESENCE_SUBSCRIPTIONS_TOKEN = Symbol('PRESENCE_SUBSCRIPTIONS');
export const PRESENCE_ENDED_DEVICES_TOKEN = Symbol('PRESENCE_ENDED_DEVICES');
