import { z } from 'zod';
import { ConfigError, embeddedDataDir } from '#herald/config';

/**
 * Settings only the embedded default reads, beside the shared ones of '#herald/config'
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

const SCHEMA = z.object({
  HERALD_DATA_DIR: z.string().min(1).optional(),
  HERALD_PG_PORT: z.coerce.number().int().min(1).max(65_535).default(DEFAULT_EMBEDDED_POSTGRES_PORT),
  HERALD_DEMO_ACCOUNTS: z.enum(['true', 'false']).default('true'),
});

/** Reads the embedded settings; `repoRoot` anchors the default data directory. */
export function loadEmbeddedSettings(
  repoRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): EmbeddedSettings {
  const present = Object.fromEntries(
    Object.keys(SCHEMA.shape).flatMap((name) => {
      const raw = env[name];
      return raw === undefined || raw.trim() === '' ? [] : [[name, raw]];
    }),
  );
  const parsed = SCHEMA.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message })),
    );
  }
  return {
    dataDir: embeddedDataDir(repoRoot, parsed.data.HERALD_DATA_DIR),
    postgresPort: parsed.data.HERALD_PG_PORT,
    demoAccounts: parsed.data.HERALD_DEMO_ACCOUNTS === 'true',
  };
}
