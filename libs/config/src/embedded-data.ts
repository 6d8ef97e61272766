import { isAbsolute, join, resolve } from 'node:path';

/**
 * The embedded default's data directory (PostgreSQL, certificate, admin token): HERALD_DATA_DIR
 * when set (relative to the working directory), otherwise `.herald` in the checkout `repoRoot`.
 * The embedded default and the `herald` CLI (looking for the admin token) read it alike.
 */
export function embeddedDataDir(repoRoot: string, configured: string | undefined): string {
  const dataDir =
    configured === undefined || configured.trim() === '' ? join(repoRoot, '.herald') : configured;
  return isAbsolute(dataDir) ? dataDir : resolve(dataDir);
}

/** Where the embedded default keeps the admin token it made when HERALD_ADMIN_TOKEN is unset. */
export function embeddedAdminTokenPath(dataDir: string): string {
  return join(dataDir, 'admin-token');
}
