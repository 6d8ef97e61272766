import { AuthHarness, commandFrom, DOMAIN, registerRequest } from './auth-harness';
import { AUTH_TEST_TIMEOUT_MS } from './timeouts';

jest.setTimeout(AUTH_TEST_TIMEOUT_MS);

/**
 * Deleting or disabling an account through the admin API logs its devices out and tells the
 * other services (auth.session-ended, auth.device-unregistered), removing the bindings.
 */
describe('account removal over the admin API (real PostgreSQL, in-process bus)', () => {
  let harness: AuthHarness;
  let decisions = 0;

  beforeAll(async () => {
    harness = await AuthHarness.start();
  });

  afterAll(async () => {
    await harness?.stop();
  });

  /** An account with one registered device, logged in over MESSAGE; returns its AOR and device. */
  async function loggedInUser(username: string): Promise<{ aor: string; deviceId: string }> {
    const password = `${username}-secret`;
    expect((await harness.admin('POST', '/admin/accounts', { username, password })).status).toBe(201);
    const contact = `sip:${username}@127.0.0.1:5070;transport=udp`;
    await harness.send(
      registerRequest({
        username,
        password,
        callId: `call-${username}`,
        contacts: [{ uri: contact, expires: 600 }],
      }),
    );
    expect(await harness.decision(++decisions)).toMatchObject({ status: 200 });
    const aor = `sip:${username}@${DOMAIN}`;
    const deviceId = contact;
    await harness.send(commandFrom(deviceId, { id: `${username}-login`, type: 'login' }, 'MESSAGE', aor));
    await harness.until(
      () => harness.events('auth.session-started.v1').find((e) => e['aor'] === aor),
      `${username} logged in`,
    );
    return { aor, deviceId };
  }

  async function bindingsOf(aor: string): Promise<number> {
    const [row] = await harness.dataSource.query(
      `SELECT count(*)::int AS n FROM registrations WHERE aor = $1`,
      [aor],
    );
    return row.n;
  }

  it.each([
    ['DELETE', '', 204, 'account-deleted'],
    ['POST', '/disable', 200, 'account-disabled'],
  ] as const)(
    '%s%s ends the sessions and unregisters the devices (%s)',
    async (method, path, status, reason) => {
      const username = reason === 'account-deleted' ? 'gone' : 'barred';
      const { aor, deviceId } = await loggedInUser(username);
      expect(await bindingsOf(aor)).toBe(1);

      expect((await harness.admin(method, `/admin/accounts/${username}${path}`)).status).toBe(status);

      const unregistered = await harness.until(
        () => harness.events('auth.device-unregistered.v1').find((e) => e['aor'] === aor),
        `${username} unregistered`,
      );
      expect(unregistered).toMatchObject({ deviceId, reason });
      expect(harness.events('auth.session-ended.v1').filter((e) => e['aor'] === aor)).toEqual([
        expect.objectContaining({ deviceId, carrier: 'MESSAGE', reason: 'unregistered' }),
      ]);
      expect(await bindingsOf(aor)).toBe(0);
    },
  );
});
