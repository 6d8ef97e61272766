import type { DataSource } from 'typeorm';
import { PersistenceError } from './persistence-error';

/** pg advisory lock key serializing migrations across replicas starting at once ("herald" in ASCII). */
const MIGRATION_LOCK_KEY = 0x686572616c64;

/**
 * Applies pending migrations (each in its own transaction) and returns the names applied.
 * Replicas starting together take turns on an advisory lock, so each migration runs once.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((migration) => migration.name);
    } catch (error) {
      throw new PersistenceError('PERSISTENCE_MIGRATION_FAILED', `migration failed: ${String(error)}`, {
        cause: error,
      });
    } finally {
      await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lockRunner.release();
  }
}
