import type { EventBus } from '#herald/bus';
import { type AccountService, DeviceAdministration, RosterAdministration } from '#herald/domain';
import {
  SqlAccountDirectory,
  SqlDeviceAdminRepository,
  SqlDeviceDirectory,
  SqlStatsSource,
  SqlAccountRepository,
  SqlRegistrationRepository,
  SqlRosterRepository,
  SqlSubscriptionRepository,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import { PIDF_WRITER } from '#herald/sip';
import type { DataSource } from 'typeorm';
import { createAccountService } from '../auth.services';

/** Injection token of AdminServices. */
export const ADMIN_SERVICES = Symbol('ADMIN_SERVICES');

/** What the admin API's controllers call: domain services on the shared database and the bus. */
export interface AdminServices {
  accounts: AccountService;
  devices: DeviceAdministration;
  rosters: RosterAdministration;
  stats: SqlStatsSource;
}

export function createAdminServices(bus: EventBus, dataSource: DataSource, domain: string): AdminServices {
  const unitOfWork = new TypeOrmUnitOfWork(dataSource);
  const accounts = new SqlAccountRepository();
  return {
    accounts: createAccountService(dataSource, domain, bus),
    devices: new DeviceAdministration({
      unitOfWork,
      bus,
      accounts,
      registrations: new SqlRegistrationRepository(),
      devices: new SqlDeviceAdminRepository(),
      sipDomain: domain,
    }),
    rosters: new RosterAdministration({
      unitOfWork,
      bus,
      rosters: new SqlRosterRepository(),
      accounts: new SqlAccountDirectory(dataSource),
      devices: new SqlDeviceDirectory(dataSource),
      simple: { subscriptions: new SqlSubscriptionRepository(), documents: PIDF_WRITER },
      sipDomain: domain,
    }),
    stats: new SqlStatsSource(dataSource),
  };
}
