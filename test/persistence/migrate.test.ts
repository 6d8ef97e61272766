import { ALL_MIGRATIONS } from '#herald/persistence';
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { MIGRATE_EXIT_FAILED, MIGRATE_EXIT_OK, runMigrateCommand } from '../../libs/persistence/src/migrate';
import { createTestDatabase } from '../support/database';
import { ensureBuilt } from '../support/herald-build';
import { REPO_ROOT } from '../support/herald-process';

/** Building dist/ on the shared 2-core machine can take minutes. */
const BUILD_TIMEOUT_MS = 300_000;
/** A run that hangs (e.g. waiting on a pool connection) fails the test instead of stalling it. */
const MIGRATE_RUN_TIMEOUT_MS = 60_000;
/** The compiled command, as the Helm chart's migration Job runs it. */
const MIGRATE_JS = 'dist/libs/persistence/src/migrate.js';
/** Nothing listens on port 1 of loopback: the connection is refused at once. */
const UNREACHABLE_DATABASE_URL = 'postgres://postgres@127.0.0.1:1/herald';

async function migrate(env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runMigrateCommand(env, {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
  });
  return { status, out, err };
}

async function tablesOf(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe('migrate command (real PostgreSQL)', () => {
  it('applies every registered migration once, then finds the schema current', async () => {
    const url = await createTestDatabase();
    const first = await migrate({ DATABASE_URL: url });
    expect(first.status).toBe(MIGRATE_EXIT_OK);
    expect(first.err).toEqual([]);
    expect(first.out).toHaveLength(1);
    for (const migration of ALL_MIGRATIONS) {
      expect(first.out[0]).toContain(migration.name);
    }
    expect(await tablesOf(url)).toEqual(
      expect.arrayContaining([
        'accounts',
        'messages',
        'processed_commands',
        'registrations',
        'roster_entries',
      ]),
    );

    const second = await migrate({ DATABASE_URL: url });
    expect(second).toEqual({
      status: MIGRATE_EXIT_OK,
      out: [expect.stringContaining('schema already current')],
      err: [],
    });
  });

  it('exits 1 with one line when DATABASE_URL is missing or the server cannot be reached', async () => {
    expect(await migrate({})).toEqual({
      status: MIGRATE_EXIT_FAILED,
      out: [],
      err: [expect.stringContaining('MIGRATE_NO_DATABASE_URL')],
    });
    expect(await migrate({ DATABASE_URL: UNREACHABLE_DATABASE_URL })).toEqual({
      status: MIGRATE_EXIT_FAILED,
      out: [],
      err: [expect.stringMatching(/^herald-migrate: failed \(ECONNREFUSED\)/)],
    });
  });

  it(
    'runs compiled, as the chart’s Job does, with its exit status',
    async () => {
      ensureBuilt();
      const url = await createTestDatabase();
      const run = (databaseUrl: string) =>
        spawnSync(process.execPath, [MIGRATE_JS], {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          timeout: MIGRATE_RUN_TIMEOUT_MS,
          env: { PATH: process.env['PATH'], DATABASE_URL: databaseUrl },
        });

      const applied = run(url);
      expect({ status: applied.status, stderr: applied.stderr }).toEqual({ status: 0, stderr: '' });
      expect(applied.stdout).toContain(ALL_MIGRATIONS[0]!.name);
      expect(await tablesOf(url)).toContain('processed_commands');

      const refused = run(UNREACHABLE_DATABASE_URL);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('herald-migrate: failed (ECONNREFUSED)');
    },
    BUILD_TIMEOUT_MS,
  );
});
