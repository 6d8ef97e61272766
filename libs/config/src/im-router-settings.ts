import { z } from 'zod';
import { ConfigError, readSettings, type SettingValues } from './read-settings';

/**
 * How long im-router keeps a delivered message by default: a week covers a client that sends an
 * im.send again under the same messageId after days offline (answered as the same message while
 * it is kept), and every push of it has long had its outcome.
 */
export const DEFAULT_IM_MESSAGE_RETENTION_DAYS = 7;
/** Ten years: far beyond any carrier's retention, and a day count that stays a safe integer in ms. */
const MAX_IM_MESSAGE_RETENTION_DAYS = 3650;

/** im-router's own settings, beside the shared ones of herald-config.ts (docs/configuration.md). */
export const IM_ROUTER_SETTINGS = {
  messageRetentionDays: {
    variable: 'HERALD_IM_MESSAGE_RETENTION_DAYS',
    schema: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_IM_MESSAGE_RETENTION_DAYS)
      .default(DEFAULT_IM_MESSAGE_RETENTION_DAYS),
  },
} as const;

export type ImRouterSettings = SettingValues<typeof IM_ROUTER_SETTINGS>;

/** Reads im-router's own settings from `env`; throws ConfigError listing every bad variable. */
export function loadImRouterSettings(env: NodeJS.ProcessEnv = process.env): ImRouterSettings {
  const { values, problems } = readSettings(IM_ROUTER_SETTINGS, ['messageRetentionDays'], env);
  if (problems.length > 0) throw new ConfigError(problems);
  return values as ImRouterSettings;
}
