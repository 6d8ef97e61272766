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
  /** PostgreSQL settings (`name=value`) the embedded PostgreSQL starts with, e.g. to load pg_stat_statements. */
  postgresSettings: string[];
}

export const DEFAULT_EMBEDDED_POSTGRES_PORT = 5433;

/**
 * Settings Herald sets itself or relies on: its PostgreSQL listens on loopback and its own socket
 * only, sized for its pools, and a 200 OK means the change is flushed to disk.
 */
export const RESERVED_POSTGRES_SETTINGS: ReadonlySet<string> = new Set([
  'listen_addresses',
  'port',
  'unix_socket_directories',
  'max_connections',
  'fsync',
  'synchronous_commit',
  'full_page_writes',
]);

const POSTGRES_SETTING = /^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)=(\S+)$/i;

/** `name=value` PostgreSQL settings separated by whitespace; none of RESERVED_POSTGRES_SETTINGS. */
const postgresSettings = z
  .string()
  .optional()
  .transform((value, context) => {
    const settings = (value ?? '').split(/\s+/).filter((setting) => setting !== '');
    for (const setting of settings) {
      const name = POSTGRES_SETTING.exec(setting)?.[1];
      if (name === undefined) {
        context.addIssue({
          code: 'custom',
          message: `"${setting}" is not name=value (no spaces in the value)`,
        });
      } else if (RESERVED_POSTGRES_SETTINGS.has(name.toLowerCase())) {
        context.addIssue({ code: 'custom', message: `${name} is set by Herald itself` });
      }
    }
    return settings;
  });

export const EMBEDDED_SETTINGS = {
  dataDir: { variable: 'HERALD_DATA_DIR', schema: z.string().min(1).optional() },
  postgresPort: {
    variable: 'HERALD_PG_PORT',
    schema: z.coerce.number().int().min(1).max(65_535).default(DEFAULT_EMBEDDED_POSTGRES_PORT),
  },
  demoAccounts: { variable: 'HERALD_DEMO_ACCOUNTS', schema: booleanSetting(true) },
  postgresSettings: { variable: 'HERALD_PG_SETTINGS', schema: postgresSettings },
} as const;

/** Reads the embedded settings; `repoRoot` anchors the default data directory. */
export function loadEmbeddedSettings(
  repoRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): EmbeddedSettings {
  const { values, problems } = readSettings(
    EMBEDDED_SETTINGS,
    ['dataDir', 'postgresPort', 'demoAccounts', 'postgresSettings'],
    env,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  const settings = values as SettingValues<typeof EMBEDDED_SETTINGS>;
  return {
    dataDir: embeddedDataDir(repoRoot, settings.dataDir),
    postgresPort: settings.postgresPort,
    demoAccounts: settings.demoAccounts,
    postgresSettings: settings.postgresSettings,
  };
}
