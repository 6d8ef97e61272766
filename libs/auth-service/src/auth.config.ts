import type { EventBus } from '#herald/bus';
import { loadConfig } from '#herald/config';
import type { DataSource } from 'typeorm';

/** How often the expiry sweeper looks for bindings past their expiry. */
export const DEFAULT_SWEEP_INTERVAL_MS = 5_000;
/** Bindings removed per sweeper transaction. */
export const DEFAULT_SWEEP_BATCH_SIZE = 500;

/** What auth needs of Herald's configuration, already validated. */
export interface AuthConfig {
  /** The SIP domain D: AORs are `sip:user@D`, D is the digest realm. */
  domain: string;
  maxExpiresSeconds: number;
  sweepIntervalMs: number;
  sweepBatchSize: number;
  /** Bearer token of the admin HTTP API; without one every admin request is refused. */
  adminToken?: string;
}

/**
 * Everything the module is given rather than builds: main.ts passes Kafka and its own DataSource,
 * the embedded app the in-process bus and the DataSource it shares with the other services.
 */
export interface AuthServiceDeps {
  bus: EventBus;
  /** Initialized; migrations are run by the migration job, not by this module. */
  dataSource: DataSource;
  config: AuthConfig;
}

/** The consumer group of every auth replica (architecture.md, Topics). */
export const AUTH_CONSUMER_GROUP = 'herald-auth';

export class AuthConfigError extends Error {
  readonly code = 'AUTH_CONFIG_INVALID';
}

/**
 * Auth's settings: the shared ones from '#herald/config' (HERALD_DOMAIN, HERALD_MAX_EXPIRES,
 * HERALD_ADMIN_TOKEN) and the sweeper's own (HERALD_AUTH_SWEEP_INTERVAL_MS, HERALD_AUTH_SWEEP_BATCH_SIZE).
 * Throws ConfigError or AuthConfigError naming the bad variable.
 */
export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const herald = loadConfig(['domain', 'maxExpires', 'adminToken'], env);
  return {
    domain: herald.domain.toLowerCase(),
    maxExpiresSeconds: herald.maxExpires,
    sweepIntervalMs: positiveInteger(env, 'HERALD_AUTH_SWEEP_INTERVAL_MS', DEFAULT_SWEEP_INTERVAL_MS),
    sweepBatchSize: positiveInteger(env, 'HERALD_AUTH_SWEEP_BATCH_SIZE', DEFAULT_SWEEP_BATCH_SIZE),
    ...(herald.adminToken === undefined ? {} : { adminToken: herald.adminToken }),
  };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new AuthConfigError(`${name} must be a positive integer, not "${raw}"`);
  }
  return value;
}
