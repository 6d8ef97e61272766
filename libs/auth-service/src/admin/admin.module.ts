import { type DynamicModule, type INestApplication, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { EventBus } from '#herald/bus';
import type { DataSource } from 'typeorm';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { AccountsController } from './accounts.controller';
import { ADMIN_SERVICES, createAdminServices } from './admin.services';
import { AdminTokenGuard } from './admin-token.guard';
import { RegistrationsController, SessionsController } from './devices.controller';
import { OpenApiController } from './openapi.controller';
import { RostersController } from './rosters.controller';
import { StatsController } from './stats.controller';

/** Every controller of the admin API (the OpenAPI test reads their routes). */
export const ADMIN_CONTROLLERS = [
  AccountsController,
  RegistrationsController,
  SessionsController,
  RostersController,
  StatsController,
  OpenApiController,
];

export interface AdminApiDeps {
  /** Announces kicks, account removals and roster changes (Kafka, or the embedded bus). */
  bus: EventBus;
  dataSource: DataSource;
  config: Pick<AuthConfig, 'domain' | 'adminToken'>;
}

/** The admin API (docs/admin.md): served by an application of its own, on HERALD_ADMIN_PORT. */
@Module({})
export class AdminModule {
  static register(deps: AdminApiDeps): DynamicModule {
    return {
      module: AdminModule,
      controllers: ADMIN_CONTROLLERS,
      providers: [
        { provide: AUTH_CONFIG, useValue: deps.config },
        {
          provide: ADMIN_SERVICES,
          useValue: createAdminServices(deps.bus, deps.dataSource, deps.config.domain),
        },
        AdminTokenGuard,
      ],
    };
  }
}

/**
 * Starts the admin API on its own port, apart from health and metrics (so a NetworkPolicy can
 * open those to the kubelet and Prometheus and this to operators only); logs its URL.
 */
export async function listenForAdmin(
  deps: AdminApiDeps,
  port: number,
  host: string,
  logger: Logger,
): Promise<{ app: INestApplication; /** `http://host:port`, what HERALD_ADMIN_URL names. */ url: string }> {
  const app = await NestFactory.create(AdminModule.register(deps));
  await app.listen(port, host);
  const bound = (app.getHttpServer() as { address(): { port: number } }).address().port;
  const url = `http://${host}:${bound}`;
  const access = deps.config.adminToken === undefined ? 'closed: no HERALD_ADMIN_TOKEN' : 'bearer token';
  logger.log(`admin API on ${url}/admin (${access})`);
  return { app, url };
}
