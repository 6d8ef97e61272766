import { type DynamicModule, Module } from '@nestjs/common';
import type { EventBus } from '#herald/bus';
import type { DataSource } from 'typeorm';
import { type AuthConfig, AuthModule } from '#herald/auth-service';
import { type ImRouterModuleConfig, ImRouterModule } from '#herald/im-router-service';
import { type PresenceConfig, PresenceModule } from '#herald/presence-service';
import { type SipEdgeConfig, SipEdgeModule } from '#herald/sip-edge';

/** What the four services share in one process: the in-process bus and one DataSource. */
export interface HeraldEmbeddedDeps {
  bus: EventBus;
  /** Initialized and migrated. */
  dataSource: DataSource;
  edge: SipEdgeConfig;
  /** How long the edge drains at shutdown (drainBudgetMs of HERALD_SHUTDOWN_GRACE_MS). */
  edgeDrainTimeoutMs: number;
  auth: AuthConfig;
  presence: PresenceConfig;
  imRouter: ImRouterModuleConfig;
  /** HERALD_CONSUME_LEGACY_TOPICS, for auth, presence and im-router. */
  consumeLegacyTopics: boolean;
}

/** sip-edge, auth, presence and im-router composed on one bus and one database (architecture.md). */
@Module({})
export class HeraldEmbeddedModule {
  static register(deps: HeraldEmbeddedDeps): DynamicModule {
    const { bus, dataSource, consumeLegacyTopics } = deps;
    return {
      module: HeraldEmbeddedModule,
      imports: [
        AuthModule.register({ bus, dataSource, config: deps.auth, consumeLegacyTopics }),
        PresenceModule.register({ bus, dataSource, config: deps.presence, consumeLegacyTopics }),
        ImRouterModule.register({ bus, dataSource, config: deps.imRouter, consumeLegacyTopics }),
        // Last, so the services already consume when the edge opens its ports.
        SipEdgeModule.register({ bus, config: deps.edge, drainTimeoutMs: deps.edgeDrainTimeoutMs }),
      ],
      // The edge for the readiness probe (sip-edge in /health/ready).
      exports: [SipEdgeModule],
    };
  }
}
