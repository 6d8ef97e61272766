import type { MigrationInterface } from 'typeorm';
import { ProcessedCommands1767225600000 } from './migrations/1767225600000-processed-commands';
import { BusJournal1795500000000 } from './migrations/1795500000000-bus-journal';
import { ImDeliveryEntity, ImMessageEntity } from './im/message.entity';
import { ImPlainDeviceQueueEntity } from './im/plain-device-queue.entity';
import { ImMessages1795493069063 } from './im/migrations/1795493069063-im-messages';
import { ImPlainDeviceQueue1795493900375 } from './im/migrations/1795493900375-im-plain-device-queue';
import { AccountEntity, RegistrationEntity, SessionEntity } from './auth/auth.entities';
import { AuthAccountsRegistrationsSessions1795493286458 } from './auth/migrations/1795493286458-auth-accounts-registrations-sessions';
import { AuthRegistrationsJsonClient1795500100000 } from './auth/migrations/1795500100000-auth-registrations-json-client';
import { AuthRegistrationsRegisteredAt1795600200000 } from './auth/migrations/1795600200000-auth-registrations-registered-at';
import { AuthRegistrationsContactParams1796563600000 } from './auth/migrations/1796563600000-auth-registrations-contact-params';
import {
  PresenceAggregateEntity,
  PresenceDeviceEntity,
  RosterEntryEntity,
} from './presence/presence.entities';
import { PresenceRostersAndStatus1795493295151 } from './presence/migrations/1795493295151-presence-rosters-and-status';
import { PresencePublications1795600000000 } from './presence/migrations/1795600000000-presence-publications';
import { PresenceSubscriptions1795600100000 } from './presence/migrations/1795600100000-presence-subscriptions';

export type EntityClass = new () => object;
export type MigrationClass = new () => MigrationInterface;

/**
 * Every entity and migration of Herald's single schema. Each vertical adds its own with ONE
 * line per array (plus the import); migrations run in the order of the timestamp in their
 * class name, not their position here.
 */
export const ALL_ENTITIES: EntityClass[] = [
  ImMessageEntity,
  ImDeliveryEntity,
  ImPlainDeviceQueueEntity,
  RosterEntryEntity,
  PresenceDeviceEntity,
  PresenceAggregateEntity,
  AccountEntity,
  RegistrationEntity,
  SessionEntity,
];

export const ALL_MIGRATIONS: MigrationClass[] = [
  ProcessedCommands1767225600000,
  ImMessages1795493069063,
  ImPlainDeviceQueue1795493900375,
  PresenceRostersAndStatus1795493295151,
  AuthAccountsRegistrationsSessions1795493286458,
  BusJournal1795500000000,
  AuthRegistrationsJsonClient1795500100000,
  PresencePublications1795600000000,
  PresenceSubscriptions1795600100000,
  AuthRegistrationsRegisteredAt1795600200000,
  AuthRegistrationsContactParams1796563600000,
];
