import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../apps/cli/src/commands';
import { ADMIN_TOKEN, AuthHarness, commandFrom, DOMAIN, registerRequest } from '../auth/auth-harness';
import { runHeraldCli, runHeraldCliOnTty } from '../support/herald-cli';

/** A cold build of dist/ on a loaded machine, then Node processes one after the other. */
jest.setTimeout(300_000);

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const ALICE = `sip:alice@${DOMAIN}`;
const DESK = '<urn:uuid:00000000-0000-4000-8000-000000000001>';

/** No line of a stack trace: errors are one line with their code. */
function expectOneLineError(stderr: string, code: string): void {
  expect(stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${code}: \\S`))]);
}

/** The `herald` bin as a real process against the admin API over HTTP (real PostgreSQL behind it). */
describe('herald CLI (a real process, the admin API over HTTP)', () => {
  let harness: AuthHarness;
  let env: Record<string, string>;
  const scratch = mkdtempSync(join(tmpdir(), 'herald-cli-'));

  beforeAll(async () => {
    harness = await AuthHarness.start();
    // A data directory of its own: never the token of a developer's `npm start`.
    env = { HERALD_ADMIN_URL: harness.baseUrl, HERALD_ADMIN_TOKEN: ADMIN_TOKEN, HERALD_DATA_DIR: scratch };
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const cli = (args: string, extra: Record<string, string> = {}, stdin = '') =>
    runHeraldCli(args.split(' '), { ...env, ...extra }, stdin);

  it('answers --help for itself, every group and every command', async () => {
    const top = await cli('--help');
    expect(top.status).toBe(EXIT_OK);
    for (const command of COMMANDS) {
      expect(top.stdout).toContain(`herald ${command.group}`);
      const words = [command.group, command.name, '--help'].filter((word) => word !== undefined);
      const help = await runHeraldCli(words, env);
      expect({ words, status: help.status }).toEqual({ words, status: EXIT_OK });
      expect(help.stdout).toContain(`usage: herald ${command.group}`);
      expect(help.stdout).toContain(command.summary);
      for (const option of Object.keys(command.options ?? {})) expect(help.stdout).toContain(`--${option}`);
    }
    const group = await cli('rosters --help');
    expect(group).toMatchObject({ status: EXIT_OK, stdout: expect.stringContaining('herald rosters pair') });
    expect((await runHeraldCli([], env)).status).toBe(EXIT_USAGE);
  });

  it('imports a CSV with a line per batch when not on a TTY, and a summary line', async () => {
    expect((await cli('accounts create carol --password-stdin', {}, 'carol-pw\n')).status).toBe(EXIT_OK);
    const file = join(scratch, 'users.csv');
    writeFileSync(
      file,
      [
        'username,password,displayName',
        'alice,wonderland,"Liddell, Alice"',
        'bob,builder1,',
        'carol,another1,Carol',
        'Bad Name,whatever1,',
        'dave,short,',
        'erin,only-two-fields',
        '',
      ].join('\n'),
    );
    const imported = await cli(`accounts import --csv ${file}`);
    expect(imported.status).toBe(EXIT_OK);
    expect(imported.stdout).toBe('created 2, existed 1, refused 3\n');
    const lines = imported.stderr.trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('line '))).toEqual([
      'line 7: CLI_CSV_INVALID: expected 3 fields, found 2',
      expect.stringMatching(/^line 5: AUTH_INVALID_USERNAME: /),
      expect.stringMatching(/^line 6: AUTH_INVALID_PASSWORD: /),
    ]);
    // Plain progress lines, no carriage returns or bars.
    expect(lines.filter((line) => line.startsWith('imported '))).toEqual(['imported 1/6', 'imported 6/6']);
    expect(imported.stderr).not.toContain('\r');
    expect(JSON.parse((await cli('accounts show alice')).stdout)).toMatchObject({
      displayName: 'Liddell, Alice',
    });

    const missing = await cli(`accounts import --csv ${join(scratch, 'absent.csv')}`);
    expect(missing.status).toBe(EXIT_FAILED);
    expectOneLineError(missing.stderr, 'CLI_FILE_UNREADABLE');
  });

  it('draws a progress bar in place on a terminal', async () => {
    const file = join(scratch, 'tty.csv');
    writeFileSync(file, ['username,password', 'frank,frank-pw', 'grace,grace-pw', ''].join('\n'));
    const onTty = await runHeraldCliOnTty(['accounts', 'import', '--csv', file], env);
    expect(onTty.status).toBe(EXIT_OK);
    expect(onTty.stdout).toContain(`\r[${'#'.repeat(30)}] 2/2 100%`);
    expect(onTty.stdout).not.toContain('imported 2/2');
    expect(onTty.stdout).toMatch(/created 2, existed 0, refused 0\r?\n$/);
  });

  it('pairs, shows and removes rosters; lists and kicks sessions and registrations', async () => {
    await harness.send(registerRequest({ password: 'wonderland' }));
    await harness.decision(1);
    await harness.send(commandFrom(DESK, { id: 'login-1', type: 'login' }));
    await harness.until(() => harness.events('auth.session-started.v1')[0], 'the login');

    const paired = await cli('rosters pair alice bob');
    expect(paired.status).toBe(EXIT_OK);
    expect(JSON.parse(paired.stdout)).toMatchObject({
      aor: ALICE,
      buddies: [{ uri: `sip:bob@${DOMAIN}`, state: 'both' }],
    });
    expect(JSON.parse((await cli('rosters show bob')).stdout).buddies).toEqual([
      expect.objectContaining({ uri: ALICE, state: 'both' }),
    ]);
    expect((await cli('rosters remove bob alice')).stdout).toBe('removed bob <-> alice\n');
    expect(JSON.parse((await cli('rosters show alice')).stdout).buddies).toEqual([]);

    const sessions = await cli('sessions list --edge edge-0 --limit 1');
    expect(
      sessions.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).deviceId),
    ).toEqual([DESK]);
    expect(JSON.parse((await cli('stats')).stdout)).toMatchObject({
      sessions: 1,
      registrations: { total: 1 },
    });

    const loggedOut = await runHeraldCli(['sessions', 'kick', 'alice', DESK], env);
    expect(JSON.parse(loggedOut.stdout)).toEqual({ aor: ALICE, deviceId: DESK, loggedIn: true });
    expect(harness.events('auth.session-ended.v1')).toEqual([expect.objectContaining({ reason: 'logout' })]);
    expect((await cli('sessions list --user alice')).stdout).toBe('');
    const unregistered = await cli('registrations kick alice');
    expect(JSON.parse(unregistered.stdout)).toEqual({ aor: ALICE, deviceId: DESK, loggedIn: false });
    expect(harness.events('auth.device-unregistered.v1')).toEqual([
      expect.objectContaining({ reason: 'unregister' }),
    ]);
  });

  it('prints one line with the code for every failure, and exits 1 (refused) or 2 (usage)', async () => {
    const refused = await cli('accounts show nobody');
    expect(refused.status).toBe(EXIT_FAILED);
    expectOneLineError(refused.stderr, 'AUTH_ACCOUNT_NOT_FOUND');

    const wrongToken = await cli('stats', { HERALD_ADMIN_TOKEN: 'not-the-token-at-all' });
    expect(wrongToken.status).toBe(EXIT_FAILED);
    expectOneLineError(wrongToken.stderr, 'ADMIN_UNAUTHORIZED');

    // Nothing listens on port 1 of loopback.
    const unreachable = await cli('stats', { HERALD_ADMIN_URL: 'http://127.0.0.1:1' });
    expect(unreachable.status).toBe(EXIT_FAILED);
    expectOneLineError(unreachable.stderr, 'CLI_ADMIN_UNREACHABLE');

    const badUrl = await cli('stats', { HERALD_ADMIN_URL: 'not a url' });
    expect(badUrl.status).toBe(EXIT_USAGE);
    expectOneLineError(badUrl.stderr, 'CONFIG_INVALID');

    const usage = await cli('rosters pair alice');
    expect(usage.status).toBe(EXIT_USAGE);
    expect(usage.stderr).toMatch(/^CLI_USAGE: expected: herald rosters pair <user> <buddy>\n/);
    expect((await cli('sessions list --user alice --edge edge-0')).status).toBe(EXIT_USAGE);
    expect((await cli('accounts fly')).status).toBe(EXIT_USAGE);
    expect((await cli('accounts list --colour')).stderr).toMatch(/^CLI_USAGE: /);
  });

  it('finds the embedded default’s token beside its data when HERALD_ADMIN_TOKEN is unset', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-data-'));
    const withoutToken = { HERALD_ADMIN_URL: harness.baseUrl, HERALD_DATA_DIR: dataDir };
    const closed = await runHeraldCli(['stats'], withoutToken);
    expectOneLineError(closed.stderr, 'ADMIN_UNAUTHORIZED');
    writeFileSync(join(dataDir, 'admin-token'), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    expect((await runHeraldCli(['stats'], withoutToken)).status).toBe(EXIT_OK);
  });
});
