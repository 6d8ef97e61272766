// The presence service as a Nest module, for apps/presence (standalone) and apps/herald (embedded).
export {
  DEFAULT_PRESENCE_CONFIG,
  PRESENCE_PARTITIONS_CONSUMED_CONCURRENTLY,
  type PresenceConfig,
} from './presence.config';
export { PresenceModule } from './presence.module';
export { createPresenceService } from './presence.services';
