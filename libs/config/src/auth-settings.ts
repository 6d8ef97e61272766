import { z } from 'zod';
import { ConfigError, readSettings, type SettingValues } from './read-settings';

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
} as const;

export type AuthSettings = SettingValues<typeof AUTH_SETTINGS>;

/** Reads auth's own settings from `env`; throws ConfigError listing every bad variable. */
export function loadAuthSettings(env: NodeJS.ProcessEnv = process.env): AuthSettings {
  const { values, problems } = readSettings(AUTH_SETTINGS, ['sweepIntervalMs', 'sweepBatchSize'], env);
  if (problems.length > 0) throw new ConfigError(problems);
  return values as AuthSettings;
}
