import type { EventBus } from '#herald/bus';
import { PresencePublications, PresenceService } from '#herald/domain';
import {
  SqlAccountDirectory,
  SqlDeviceDirectory,
  TypeOrmIdempotencyStore,
  TypeOrmPresenceRepository,
  TypeOrmPublicationRepository,
  TypeOrmRosterRepository,
  TypeOrmSubscriptionRepository,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import type { DataSource } from 'typeorm';
import { meterPresenceFanout } from './presence-fanout-meter';

/** Wires the presence domain service to the persistence adapters and the bus. */
export function createPresenceService(bus: EventBus, dataSource: DataSource): PresenceService {
  return new PresenceService({
    unitOfWork: new TypeOrmUnitOfWork(dataSource),
    idempotency: new TypeOrmIdempotencyStore(),
    rosters: new TypeOrmRosterRepository(),
    presence: new TypeOrmPresenceRepository(),
    accounts: new SqlAccountDirectory(dataSource),
    directory: new SqlDeviceDirectory(dataSource),
    bus: meterPresenceFanout(bus),
    subscriptions: new TypeOrmSubscriptionRepository(),
  });
}

/** Wires presence PUBLISH handling (RFC 3903) to the same adapters. */
export function createPresencePublications(bus: EventBus, dataSource: DataSource): PresencePublications {
  return new PresencePublications({
    unitOfWork: new TypeOrmUnitOfWork(dataSource),
    idempotency: new TypeOrmIdempotencyStore(),
    presence: new TypeOrmPresenceRepository(),
    publications: new TypeOrmPublicationRepository(),
    rosters: new TypeOrmRosterRepository(),
    directory: new SqlDeviceDirectory(dataSource),
    bus: meterPresenceFanout(bus),
    subscriptions: new TypeOrmSubscriptionRepository(),
  });
}
