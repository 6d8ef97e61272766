import { type DynamicModule, Module } from '@nestjs/common';
import type { AuthServiceDeps } from './auth.config';
import { AuthConsumer } from './auth.consumer';
import { createAuthServices } from './auth.services';
import { topicsToConsume } from '#herald/contracts';
import { AUTH_TOPICS } from './auth.records';
import { AUTH_BUS, AUTH_CONFIG, AUTH_CONSUMED_TOPICS, AUTH_SERVICES } from './auth.tokens';
import { RegistrationSweeper } from './registration-sweeper';

/**
 * The auth service: REGISTER verification, registrations, device sessions, login / logout /
 * profile, registration expiry. The admin API is an application of its own (AdminModule).
 */
@Module({})
export class AuthModule {
  static register(deps: AuthServiceDeps): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_BUS, useValue: deps.bus },
        { provide: AUTH_CONFIG, useValue: deps.config },
        { provide: AUTH_SERVICES, useValue: createAuthServices(deps.bus, deps.dataSource, deps.config) },
        {
          provide: AUTH_CONSUMED_TOPICS,
          useValue: topicsToConsume(AUTH_TOPICS, deps.consumeLegacyTopics),
        },
        AuthConsumer,
        RegistrationSweeper,
      ],
      exports: [AUTH_SERVICES, RegistrationSweeper],
    };
  }
}
