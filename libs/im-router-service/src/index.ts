// The im-router service as a Nest module, for apps/im-router (standalone) and apps/herald (embedded).
export {
  IM_ROUTER_PARTITIONS_CONSUMED_CONCURRENTLY,
  type ImRouterConfig,
  type ImRouterModuleConfig,
} from './im-router.config';
export { createImRouter } from './im-router.factory';
export { ImRouterModule } from './im-router.module';
export { IM_ROUTER_TOPICS, ImRouterRecordHandler, subscribeImRouter } from './im-router.records';
