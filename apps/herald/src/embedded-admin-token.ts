import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { embeddedAdminTokenPath } from '#herald/config';

/**
 * The embedded default's admin token: HERALD_ADMIN_TOKEN when set, otherwise the one kept in
 * `<dataDir>/admin-token` (made at the first start, readable by its owner only), so the demo's
 * admin API and CLI work out of the box while the API still wants a token.
 */
export async function ensureEmbeddedAdminToken(
  dataDir: string,
  configured: string | undefined,
): Promise<string> {
  if (configured !== undefined) return configured;
  const path = embeddedAdminTokenPath(dataDir);
  const existing = await readFile(path, 'utf8').then(
    (text) => text.trim(),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    },
  );
  if (existing !== undefined && existing !== '') return existing;
  const token = randomBytes(32).toString('base64url');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return token;
}
