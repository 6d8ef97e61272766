import type { EventBus } from '#herald/bus';
import type { DataSource } from 'typeorm';

/** Longest registration granted when HERALD_REGISTER_MAX_EXPIRES is not set (RFC 3261 default 3600). */
export const DEFAULT_MAX_EXPIRES_SECONDS = 3600;
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

/** Reads auth's settings from the environment (HERALD_DOMAIN, HERALD_REGISTER_MAX_EXPIRES, …). */
export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const domain = env['HERALD_DOMAIN'];
  if (domain === undefined || domain.trim() === '') {
    throw new AuthConfigError('HERALD_DOMAIN must name the SIP domain');
  }
  const adminToken = env['HERALD_ADMIN_TOKEN'];
  return {
    domain: domain.trim().toLowerCase(),
    maxExpiresSeconds: positiveInteger(env, 'HERALD_REGISTER_MAX_EXPIRES', DEFAULT_MAX_EXPIRES_SECONDS),
    sweepIntervalMs: positiveInteger(env, 'HERALD_AUTH_SWEEP_INTERVAL_MS', DEFAULT_SWEEP_INTERVAL_MS),
    sweepBatchSize: positiveInteger(env, 'HERALD_AUTH_SWEEP_BATCH_SIZE', DEFAULT_SWEEP_BATCH_SIZE),
    ...(adminToken === undefined || adminToken === '' ? {} : { adminToken }),
  };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new AuthConfigError(`${name} must be a positive integer, not "${raw}"`);
  }
  return value;
}
