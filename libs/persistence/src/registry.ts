import type { MigrationInterface } from 'typeorm';
import { ProcessedCommands1767225600000 } from './migrations/1767225600000-processed-commands';
import { BusJournal1795500000000 } from './migrations/1795500000000-bus-journal';
import { BusJournalNoPublishedAtIndex1797000000000 } from './migrations/1797000000000-bus-journal-no-published-at-index';
import { MESSAGE_DELIVERIES, MESSAGES, PLAIN_DEVICE_QUEUE } from './im/im.tables';
import { ImMessages1795493069063 } from './im/migrations/1795493069063-im-messages';
import { ImPlainDeviceQueue1795493900375 } from './im/migrations/1795493900375-im-plain-device-queue';
import { ImMessagesDeliveredAt1796900000000 } from './im/migrations/1796900000000-im-messages-delivered-at';
import { ImMessagesDeliveredPushId1797100000000 } from './im/migrations/1797100000000-im-messages-delivered-push-id';
import { ImMessageDeliveriesFillfactor1797400000000 } from './im/migrations/1797400000000-im-message-deliveries-fillfactor';
import { AuthRegistrationsSweepAt1797200000000 } from './auth/migrations/1797200000000-auth-registrations-sweep-at';
import {
  ACCOUNTS,
  AUTH_ACTIVE_ACCOUNTS_V1,
  AUTH_DEVICES_V1,
  AUTH_PLAIN_DEVICES_V1,
  REGISTRATIONS,
  SESSIONS,
} from './auth/auth.tables';
import { AuthAccountsRegistrationsSessions1795493286458 } from './auth/migrations/1795493286458-auth-accounts-registrations-sessions';
import { AuthRegistrationsJsonClient1795500100000 } from './auth/migrations/1795500100000-auth-registrations-json-client';
import { AuthRegistrationsRegisteredAt1795600200000 } from './auth/migrations/1795600200000-auth-registrations-registered-at';
import { AuthRegistrationsContactParams1796563600000 } from './auth/migrations/1796563600000-auth-registrations-contact-params';
import { AuthReadContractV11796600000000 } from './auth/migrations/1796600000000-auth-read-contract-v1';
import { AuthPlainDevicesV11796700000000 } from './auth/migrations/1796700000000-auth-plain-devices-v1';
import { AuthRegistrationsUdpSource1796800000000 } from './auth/migrations/1796800000000-auth-registrations-udp-source';
import {
  PRESENCE_AGGREGATES,
  PRESENCE_DEVICES,
  PRESENCE_SUBSCRIPTIONS,
  ROSTER_ENTRIES,
} from './presence/presence.tables';
import { BUS_GROUP_OFFSETS, BUS_JOURNAL, PROCESSED_COMMANDS } from './shared.tables';
import type { TableDefinition } from './table';
import { PresenceRostersAndStatus1795493295151 } from './presence/migrations/1795493295151-presence-rosters-and-status';
import { PresencePublications1795600000000 } from './presence/migrations/1795600000000-presence-publications';
import { PresenceSubscriptions1795600100000 } from './presence/migrations/1795600100000-presence-subscriptions';

export type MigrationClass = new () => MigrationInterface;

/**
 * Every migration of Herald's single schema, and the definition of every table and view they
 * create. Each vertical adds its own with ONE line per array (plus the import); migrations run in
 * the order of the timestamp in their class name, not their position here.
 */
export const ALL_TABLES: TableDefinition[] = [
  PROCESSED_COMMANDS,
  BUS_JOURNAL,
  BUS_GROUP_OFFSETS,
  MESSAGES,
  MESSAGE_DELIVERIES,
  PLAIN_DEVICE_QUEUE,
  ROSTER_ENTRIES,
  PRESENCE_DEVICES,
  PRESENCE_AGGREGATES,
  PRESENCE_SUBSCRIPTIONS,
  ACCOUNTS,
  REGISTRATIONS,
  SESSIONS,
  AUTH_DEVICES_V1,
  AUTH_PLAIN_DEVICES_V1,
  AUTH_ACTIVE_ACCOUNTS_V1,
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
  AuthReadContractV11796600000000,
  AuthPlainDevicesV11796700000000,
  AuthRegistrationsUdpSource1796800000000,
  ImMessagesDeliveredAt1796900000000,
  BusJournalNoPublishedAtIndex1797000000000,
  ImMessagesDeliveredPushId1797100000000,
  AuthRegistrationsSweepAt1797200000000,
  ImMessageDeliveriesFillfactor1797400000000,
];
