import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './herald-process';

/** Written after a build; dist/ is fresh while no source under apps/ or libs/ is newer. */
const BUILD_STAMP = join(REPO_ROOT, 'dist', '.herald-test-build');
/** Serializes builds of parallel test files and engineers sharing the checkout. */
const BUILD_LOCK = '/tmp/herald-build.lock';
export const APP_MAINS = {
  'sip-edge': 'dist/apps/sip-edge/src/main.js',
  auth: 'dist/apps/auth/src/main.js',
  presence: 'dist/apps/presence/src/main.js',
  'im-router': 'dist/apps/im-router/src/main.js',
  herald: 'dist/apps/herald/src/main.js',
} as const;
export type HeraldApp = keyof typeof APP_MAINS;
/** The `herald` operator CLI (package.json `bin`). */
export const CLI_MAIN = 'dist/apps/cli/src/main.js';
const BUILT_MAINS = [...Object.values(APP_MAINS), CLI_MAIN];

export class HeraldBuildError extends Error {
  readonly code = 'HERALD_BUILD_FAILED';
}

/** Sources of dist/: TypeScript, and the web app's page and style sheet (apps/web). */
const SOURCE_EXTENSIONS = ['.ts', '.html', '.css'];
/** The web app's bundle (scripts/build-web.mjs), which the embedded default serves. */
const WEB_BUNDLE = 'dist/web/app.js';

function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    // A package's own build output (libs/client/dist) is not a source.
    if (entry.isDirectory()) newest = entry.name === 'dist' ? newest : Math.max(newest, newestSource(path));
    else if (
      SOURCE_EXTENSIONS.some((extension) => entry.name.endsWith(extension)) &&
      !entry.name.endsWith('.spec.ts')
    ) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

function isFresh(): boolean {
  if (!existsSync(BUILD_STAMP)) return false;
  if ([...BUILT_MAINS, WEB_BUNDLE].some((file) => !existsSync(join(REPO_ROOT, file)))) return false;
  const built = statSync(BUILD_STAMP).mtimeMs;
  return ['apps', 'libs'].every((root) => newestSource(join(REPO_ROOT, root)) <= built);
}

/**
 * Builds dist/ with tsconfig.build.json unless it is fresh. Type errors in files being written by
 * others in the shared tree do not stop the emit, so they are printed, not fatal, as long as every
 * app's main.js was emitted; anything else fails the build.
 */
export function ensureBuilt(): void {
  if (isFresh()) return;
  const started = Date.now();
  const result = spawnSync('flock', [BUILD_LOCK, 'npx', 'tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (result.error !== undefined) throw new HeraldBuildError(`could not run tsc: ${result.error.message}`);
  const missing = BUILT_MAINS.filter((main) => !existsSync(join(REPO_ROOT, main)));
  if (missing.length > 0) {
    throw new HeraldBuildError(`tsc did not emit ${missing.join(', ')}:\n${result.stdout}${result.stderr}`);
  }
  if (result.status !== 0) {
    console.warn(`herald-build: tsc reported errors (emitted anyway):\n${result.stdout}${result.stderr}`);
  }
  const web = spawnSync('flock', [BUILD_LOCK, 'node', 'scripts/build-web.mjs'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (web.error !== undefined || web.status !== 0) {
    throw new HeraldBuildError(
      `the web app did not build: ${web.error?.message ?? ''}${web.stdout}${web.stderr}`,
    );
  }
  // Stamped with the start time: a source saved during the build makes the next call build again.
  writeFileSync(BUILD_STAMP, new Date(started).toISOString());
  utimesSync(BUILD_STAMP, new Date(started), new Date(started));
}
