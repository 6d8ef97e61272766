import { createDataSource, runMigrations } from '#herald/persistence';
import { EXIT_OK, EXIT_REFUSED, EXIT_USAGE, runCli } from '../../apps/auth/src/cli';
import { createTestDatabase } from '../support/database';
import { AUTH_TEST_TIMEOUT_MS } from './timeouts';

jest.setTimeout(AUTH_TEST_TIMEOUT_MS);

describe('auth CLI (real PostgreSQL)', () => {
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const url = await createTestDatabase();
    const dataSource = createDataSource({ url });
    await dataSource.initialize();
    await runMigrations(dataSource);
    await dataSource.destroy();
    env = { DATABASE_URL: url, HERALD_DOMAIN: 'herald.example' };
  });

  async function cli(args: string, stdin = '') {
    const out: string[] = [];
    const err: string[] = [];
    const status = await runCli(args.split(' '), env, {
      stdout: (line) => out.push(line),
      stderr: (line) => err.push(line),
      stdin: async () => stdin,
    });
    return { status, out, err };
  }

  it('creates, lists, shows, disables, enables, resets and deletes accounts', async () => {
    const created = await cli('accounts create alice --password wonderland --display-name Alice');
    expect(created.status).toBe(EXIT_OK);
    expect(JSON.parse(created.out[0])).toMatchObject({ username: 'alice', aor: 'sip:alice@herald.example' });
    expect((await cli('accounts create bob --password-stdin', 'builder1\n')).status).toBe(EXIT_OK);

    const listed = await cli('accounts list');
    expect(listed.out.map((line) => JSON.parse(line).username)).toEqual(['alice', 'bob']);
    expect(JSON.parse((await cli('accounts disable bob')).out[0])).toMatchObject({ disabled: true });
    expect(JSON.parse((await cli('accounts enable bob')).out[0])).toMatchObject({ disabled: false });
    expect((await cli('accounts reset-password bob --password-stdin', 'builder2\n')).status).toBe(EXIT_OK);
    expect(JSON.parse((await cli('accounts show alice')).out[0])).toMatchObject({ displayName: 'Alice' });
    expect(await cli('accounts delete bob')).toMatchObject({ status: EXIT_OK, out: ['deleted bob'] });
    expect((await cli('accounts list')).out).toHaveLength(1);
  });

  it('exits 1 for what the domain refuses and 2 for bad usage', async () => {
    expect(await cli('accounts show nobody')).toMatchObject({
      status: EXIT_REFUSED,
      err: [expect.stringContaining('AUTH_ACCOUNT_NOT_FOUND')],
    });
    expect((await cli('accounts create carol')).status).toBe(EXIT_USAGE);
    expect((await cli('accounts fly carol')).status).toBe(EXIT_USAGE);
    expect((await cli('accounts create carol --pasword x')).status).toBe(EXIT_USAGE);
    expect((await cli('accounts create carol --password 123')).status).toBe(EXIT_REFUSED);
  });
});
