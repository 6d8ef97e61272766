import { ImRouter } from '#herald/domain';
import { groupCommitMeter } from '#herald/observability';
import {
  SqlAccountDirectory,
  SqlDeviceDirectory,
  SqlIdempotencyStore,
  SqlMessageStore,
  SqlPlainDeviceQueue,
  SqlSendCheckLookup,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import type { ImRouterServiceDeps } from './im-router.config';

/** The domain service wired to its PostgreSQL adapters and the given bus. */
export function createImRouter({ bus, dataSource, config }: ImRouterServiceDeps): ImRouter {
  return new ImRouter({
    unitOfWork: new TypeOrmUnitOfWork(dataSource),
    idempotency: new SqlIdempotencyStore(),
    messages: new SqlMessageStore(),
    plainDevices: new SqlPlainDeviceQueue(),
    accounts: new SqlAccountDirectory(dataSource),
    sendChecks: new SqlSendCheckLookup(dataSource),
    directory: new SqlDeviceDirectory(dataSource),
    publisher: bus,
    sipDomain: config.domain,
    plainDeviceLoginGraceMs: config.plainDeviceLoginGraceMs,
    groups: groupCommitMeter('im-router'),
  });
}
