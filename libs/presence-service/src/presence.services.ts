import type { EventBus } from '#herald/bus';
import { EndedDeviceRetention, PresencePublications, PresenceService } from '#herald/domain';
import {
  SqlAccountDirectory,
  SqlDeviceDirectory,
  SqlIdempotencyStore,
  SqlPresenceRepository,
  SqlPublicationRepository,
  SqlRosterRepository,
  SqlSubscriptionRepository,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import { PIDF_WRITER } from '#herald/sip';
import type { DataSource } from 'typeorm';
import { meterPresenceFanout } from './presence-fanout-meter';

/** Wires the presence domain service to the persistence adapters and the bus. */
export function createPresenceService(bus: EventBus, dataSource: DataSource): PresenceService {
  return new PresenceService({
    unitOfWork: new TypeOrmUnitOfWork(dataSource),
    idempotency: new SqlIdempotencyStore(),
    rosters: new SqlRosterRepository(),
    presence: new SqlPresenceRepository(),
    accounts: new SqlAccountDirectory(dataSource),
    directory: new SqlDeviceDirectory(dataSource),
    bus: meterPresenceFanout(bus),
    simple: { subscriptions: new SqlSubscriptionRepository(), documents: PIDF_WRITER },
  });
}

/** Wires presence PUBLISH handling (RFC 3903) to the same adapters. */
export function createPresencePublications(bus: EventBus, dataSource: DataSource): PresencePublications {
  return new PresencePublications({
    unitOfWork: new TypeOrmUnitOfWork(dataSource),
    idempotency: new SqlIdempotencyStore(),
    presence: new SqlPresenceRepository(),
    publications: new SqlPublicationRepository(),
    rosters: new SqlRosterRepository(),
    directory: new SqlDeviceDirectory(dataSource),
    bus: meterPresenceFanout(bus),
    simple: { subscriptions: new SqlSubscriptionRepository(), documents: PIDF_WRITER },
  });
}

/** Wires the retention of ended devices (kept so late events of them are stale). */
export function createEndedDeviceRetention(dataSource: DataSource): EndedDeviceRetention {
  return new EndedDeviceRetention({
    unitOfWork: new TypeOrmUnitOfWork(dataSource),
    presence: new SqlPresenceRepository(),
  });
}
