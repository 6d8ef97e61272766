import { z } from 'zod';
import { booleanSetting, ConfigError, readSettings, type SettingValues } from './read-settings';

/** How often the expiry sweeper looks for bindings past their expiry. */
export const DEFAULT_AUTH_SWEEP_INTERVAL_MS = 5_000;
/** Bindings removed per sweeper transaction. */
export const DEFAULT_AUTH_SWEEP_BATCH_SIZE = 500;

const positiveInteger = z.coerce.number().int().positive();

/** auth's own settings, beside the shared ones of herald-config.ts (docs/admin.md). */
export const AUTH_SETTINGS = {
  sweepIntervalMs: {
    variable: 'HERALD_AUTH_SWEEP_INTERVAL_MS',
    schema: positiveInteger.default(DEFAULT_AUTH_SWEEP_INTERVAL_MS),
  },
  sweepBatchSize: {
    variable: 'HERALD_AUTH_SWEEP_BATCH_SIZE',
    schema: positiveInteger.default(DEFAULT_AUTH_SWEEP_BATCH_SIZE),
  },
  /**
   * Whether a binding superseded by another device's UDP registration is announced with reason
   * `superseded`; `false` announces it `expired`, for presence and im-router replicas of a release
   * whose decoders refuse a reason they do not know, while they still run (docs/deploy.md, Upgrading).
   */
  announceSuperseded: { variable: 'HERALD_AUTH_ANNOUNCE_SUPERSEDED', schema: booleanSetting(true) },
} as const;

export type AuthSettings = SettingValues<typeof AUTH_SETTINGS>;

/** Reads auth's own settings from `env`; throws ConfigError listing every bad variable. */
export function loadAuthSettings(env: NodeJS.ProcessEnv = process.env): AuthSettings {
  const { values, problems } = readSettings(
    AUTH_SETTINGS,
    ['sweepIntervalMs', 'sweepBatchSize', 'announceSuperseded'],
    env,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return values as AuthSettings;
}
