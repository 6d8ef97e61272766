import { createDataSource } from './data-source';
import { runMigrations } from './migration-runner';

/**
 * The migration command of the Helm chart's pre-install/pre-upgrade Job
 * (`node dist/libs/persistence/src/migrate.js`): applies every registered migration that is
 * still pending to DATABASE_URL, under the migration advisory lock, and exits 0 when the schema
 * is current or 1 when it is not (one log line either way).
 */

export const MIGRATE_EXIT_OK = 0;
export const MIGRATE_EXIT_FAILED = 1;
/** runMigrations holds one connection for its advisory lock while the migrations use another. */
const MIGRATE_POOL_SIZE = 2;

export interface MigrateIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** Runs the migrations against `env.DATABASE_URL`; resolves to the exit status, never rejects. */
export async function runMigrateCommand(env: NodeJS.ProcessEnv, io: MigrateIo): Promise<number> {
  const url = env['DATABASE_URL'];
  if (url === undefined || url.trim() === '') {
    io.stderr('herald-migrate: failed (MIGRATE_NO_DATABASE_URL): DATABASE_URL is not set');
    return MIGRATE_EXIT_FAILED;
  }
  const started = Date.now();
  const dataSource = createDataSource({
    url,
    poolSize: MIGRATE_POOL_SIZE,
    applicationName: 'herald-migrate',
  });
  try {
    await dataSource.initialize();
    const applied = await runMigrations(dataSource);
    const what = applied.length === 0 ? 'schema already current' : `applied ${applied.join(', ')}`;
    io.stdout(`herald-migrate: ok in ${Date.now() - started} ms: ${what}`);
    return MIGRATE_EXIT_OK;
  } catch (error) {
    io.stderr(`herald-migrate: failed (${codeOf(error)}): ${describe(error)}`);
    return MIGRATE_EXIT_FAILED;
  } finally {
    if (dataSource.isInitialized) {
      await dataSource.destroy();
    }
  }
}

/** The stable code of our errors, pg's SQLSTATE or errno name otherwise. */
function codeOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' ? code : 'MIGRATE_FAILED';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

if (require.main === module) {
  runMigrateCommand(process.env, {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      // Only closing the pool can get here, after the outcome was logged.
      process.stderr.write(`herald-migrate: failed (${codeOf(error)}): ${describe(error)}\n`);
      process.exitCode = MIGRATE_EXIT_FAILED;
    },
  );
}
