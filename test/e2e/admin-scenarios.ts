// The operator's surface against a running Herald (separate apps on Kafka, the embedded default):
// accounts imported and made buddies by the `herald` CLI over the admin API, then kicks that
// real SIP watchers see as their buddy going offline.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeraldTarget } from '../support/herald-target';
import { runHeraldCli } from '../support/herald-cli';
import { commandResult, type Devices, PASSWORD, pushOf, targetUnderTest, uniqueUser } from './e2e-support';

/** A target whose admin API the test reaches. */
export interface AdminTarget extends HeraldTarget {
  /** HERALD_ADMIN_URL. */
  readonly adminUrl: string;
  readonly adminToken: string;
}

/** Three users, a CLI import, a pairing, two kicks, with slack for a loaded machine. */
const SCENARIO_TIMEOUT_MS = 120_000;

export function describeAdminScenarios(start: () => Promise<AdminTarget>): Devices {
  jest.setTimeout(SCENARIO_TIMEOUT_MS);
  let started: AdminTarget | undefined;
  const { devices } = targetUnderTest(async () => (started = await start()));
  const target = () => {
    if (started === undefined) throw new Error('the target did not start');
    return started;
  };
  const cli = async (...args: string[]) => {
    const run = await runHeraldCli(args, {
      HERALD_ADMIN_URL: target().adminUrl,
      HERALD_ADMIN_TOKEN: target().adminToken,
    });
    if (run.status !== 0) throw new Error(`herald ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
    return run.stdout;
  };

  it('pairs users imported by the CLI; kicking a session and a registration shows the buddy offline', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const admin = async (method: string, path: string) => {
      const response = await fetch(`${target().adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${target().adminToken}` },
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const csv = join(mkdtempSync(join(tmpdir(), 'herald-e2e-csv-')), 'users.csv');
    writeFileSync(csv, `username,password\n${alice},${PASSWORD}\n${bob},${PASSWORD}\n`);
    expect(await cli('accounts', 'import', '--csv', csv)).toBe('created 2, existed 0, refused 0\n');
    expect(JSON.parse(await cli('rosters', 'pair', alice, bob))).toMatchObject({
      buddies: [{ uri: `sip:${bob}@${target().domain}`, state: 'both' }],
    });

    const watcher = await devices.loggedIn(alice, 'udp', 'INFO');
    const kicked = await devices.loggedIn(bob, 'tcp', 'INFO');
    await pushOf(watcher, 'presence', { uri: kicked.aor, status: 'online' });

    // A logout: bob's devices stay registered, alice sees him offline.
    let from = watcher.pushes.length;
    expect((await admin('DELETE', `/admin/sessions/${bob}`)).body).toEqual({
      kicked: [{ aor: kicked.aor, deviceId: expect.any(String), loggedIn: true }],
    });
    await pushOf(watcher, 'presence', { uri: kicked.aor, status: 'offline' }, from);
    const sessions = await cli('sessions', 'list', '--user', bob);
    expect(sessions).toBe('');
    expect(JSON.parse(await cli('registrations', 'list', '--user', bob))).toMatchObject({ aor: kicked.aor });

    // Logged in again, then unregistered: offline again, and the device must register anew.
    from = watcher.pushes.length;
    await commandResult(kicked, { type: 'login', status: 'online' }, 'INFO');
    await pushOf(watcher, 'presence', { uri: kicked.aor, status: 'online' }, from);
    from = watcher.pushes.length;
    const unregistered = JSON.parse(await cli('registrations', 'kick', bob));
    expect(unregistered).toMatchObject({ aor: kicked.aor, loggedIn: true });
    await pushOf(watcher, 'presence', { uri: kicked.aor, status: 'offline' }, from);
    expect(await cli('registrations', 'list', '--user', bob)).toBe('');
    // The edge still holds the flow (edge-local state) and accepts the request; auth refuses it.
    const again = await commandResult(kicked, { type: 'login', status: 'online' }, 'INFO');
    expect(again.envelope).toMatchObject({ ok: false, error: { code: 'not-allowed' } });

    expect(JSON.parse(await cli('stats'))).toMatchObject({ rosters: { buddyPairs: expect.any(Number) } });
  });

  return devices;
}
