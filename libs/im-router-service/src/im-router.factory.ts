import { ImRouter } from '#herald/domain';
import {
  SqlAccountDirectory,
  SqlDeviceDirectory,
  TypeOrmIdempotencyStore,
  TypeOrmMessageStore,
  TypeOrmPlainDeviceQueue,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import type { ImRouterServiceDeps } from './im-router.config';

/** The domain service wired to its PostgreSQL adapters and the given bus. */
export function createImRouter({ bus, dataSource, config }: ImRouterServiceDeps): ImRouter {
  return new ImRouter({
    unitOfWork: new TypeOrmUnitOfWork(dataSource),
    idempotency: new TypeOrmIdempotencyStore(),
    messages: new TypeOrmMessageStore(),
    plainDevices: new TypeOrmPlainDeviceQueue(),
    accounts: new SqlAccountDirectory(dataSource),
    directory: new SqlDeviceDirectory(dataSource),
    publisher: bus,
    sipDomain: config.domain,
    plainDeviceLoginGraceMs: config.plainDeviceLoginGraceMs,
  });
}
