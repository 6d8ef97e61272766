import { z } from 'zod';
import { embeddedDataDir } from './embedded-data';
import { booleanSetting, ConfigError, readSettings, type SettingValues } from './read-settings';

/**
 * Settings only the embedded default reads, beside the shared ones of herald-config.ts
 * (HERALD_DOMAIN, HERALD_SIP_*, HERALD_HTTP_PORT, …). Same rules: empty counts as unset.
 */
export interface EmbeddedSettings {
  /** PostgreSQL data (`pg/`) and the self-signed certificate (`tls/`); `.herald` in the repo by default. */
  dataDir: string;
  /** Port of the embedded PostgreSQL on 127.0.0.1. */
  postgresPort: number;
  /** Create alice, bob and carol (password `herald`) when the database has no account. */
  demoAccounts: boolean;
}

export const DEFAULT_EMBEDDED_POSTGRES_PORT = 5433;

export const EMBEDDED_SETTINGS = {
  dataDir: { variable: 'HERALD_DATA_DIR', schema: z.string().min(1).optional() },
  postgresPort: {
    variable: 'HERALD_PG_PORT',
    schema: z.coerce.number().int().min(1).max(65_535).default(DEFAULT_EMBEDDED_POSTGRES_PORT),
  },
  demoAccounts: { variable: 'HERALD_DEMO_ACCOUNTS', schema: booleanSetting(true) },
} as const;

/** Reads the embedded settings; `repoRoot` anchors the default data directory. */
export function loadEmbeddedSettings(
  repoRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): EmbeddedSettings {
  const { values, problems } = readSettings(
    EMBEDDED_SETTINGS,
    ['dataDir', 'postgresPort', 'demoAccounts'],
    env,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  const settings = values as SettingValues<typeof EMBEDDED_SETTINGS>;
  return {
    dataDir: embeddedDataDir(repoRoot, settings.dataDir),
    postgresPort: settings.postgresPort,
    demoAccounts: settings.demoAccounts,
  };
}
