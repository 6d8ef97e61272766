import { createHash } from 'node:crypto';
import { AuthHarness, commandFrom, DOMAIN, registerRequest } from './auth-harness';
import { AUTH_TEST_TIMEOUT_MS } from './timeouts';

jest.setTimeout(AUTH_TEST_TIMEOUT_MS);

const ALICE = `sip:alice@${DOMAIN}`;
const BOB = `sip:bob@${DOMAIN}`;
const DESK = '<urn:uuid:00000000-0000-4000-8000-000000000001>';
const PHONE = 'sip:alice@127.0.0.1:5080;transport=tcp';
const BOB_DESK = 'sip:bob@127.0.0.1:5090';

/**
 * The operator's surface over real HTTP against the admin application, on a real PostgreSQL with
 * the in-process bus: imports, registrations and sessions (list and kick), rosters, the summary.
 */
describe('admin API: registrations, sessions, rosters, stats (real PostgreSQL)', () => {
  let harness: AuthHarness;

  beforeAll(async () => {
    harness = await AuthHarness.start();
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('imports accounts in one call: created, existed (taken before or earlier in the batch), refused', async () => {
    expect(
      (await harness.admin('POST', '/admin/accounts', { username: 'carol', password: 'carol-pw' })).status,
    ).toBe(201);
    const imported = await harness.admin('POST', '/admin/accounts/import', {
      accounts: [
        { username: 'alice', password: 'wonderland', displayName: 'Alice' },
        { username: 'bob', password: 'builder1' },
        { username: 'carol', password: 'another1' },
        { username: 'Not Valid', password: 'whatever1' },
        { username: 'dave', password: 'short' },
        { username: 'bob', password: 'builder2' },
      ],
    });
    expect(imported).toEqual({
      status: 200,
      body: {
        results: [
          { username: 'alice', outcome: 'created' },
          { username: 'bob', outcome: 'created' },
          { username: 'carol', outcome: 'existed' },
          {
            username: 'Not Valid',
            outcome: 'refused',
            code: 'AUTH_INVALID_USERNAME',
            message: expect.any(String),
          },
          {
            username: 'dave',
            outcome: 'refused',
            code: 'AUTH_INVALID_PASSWORD',
            message: expect.any(String),
          },
          { username: 'bob', outcome: 'existed' },
        ],
      },
    });
    expect((await harness.admin('GET', '/admin/accounts/alice')).body).toMatchObject({
      displayName: 'Alice',
    });
    // The first bob's password holds: the second was not written over it.
    const [bob] = await harness.dataSource.query(`SELECT ha1_md5 FROM accounts WHERE username = 'bob'`);
    expect(bob.ha1_md5).toBe(md5(`bob:${DOMAIN}:builder1`));
    expect((await harness.admin('POST', '/admin/accounts/import', { accounts: 'nope' })).body).toMatchObject({
      code: 'ADMIN_BAD_REQUEST',
    });
  });

  it('lists registrations and sessions by user and by edge, page by page', async () => {
    await harness.send(registerRequest({ password: 'wonderland' }));
    await harness.send(
      registerRequest({
        password: 'wonderland',
        callId: 'call-phone',
        contacts: [{ uri: PHONE, expires: 600 }],
      }),
    );
    await harness.send(
      registerRequest({
        username: 'bob',
        password: 'builder1',
        contacts: [{ uri: BOB_DESK, expires: 600 }],
      }),
    );
    await harness.decision(3);
    await harness.send(commandFrom(DESK, { id: 'login-1', type: 'login', status: 'away', note: 'busy day' }));
    await harness.send(commandFrom(BOB_DESK, { id: 'login-2', type: 'login' }, 'INFO', BOB));
    await harness.until(
      () => (harness.events('auth.session-started.v1').length === 2 ? true : undefined),
      'two logins',
    );

    const byUser = await harness.admin('GET', '/admin/registrations?user=alice');
    expect(byUser.status).toBe(200);
    expect(byUser.body.devices).toEqual([
      expect.objectContaining({
        aor: ALICE,
        deviceId: DESK,
        edgeId: 'edge-0',
        transport: 'udp',
        session: { carrier: 'INFO', status: 'away', note: 'busy day', startedAt: expect.any(String) },
      }),
      expect.not.objectContaining({ session: expect.anything() }),
    ]);
    expect(byUser.body.devices[1]).toMatchObject({ deviceId: PHONE });
    expect(byUser.body.next).toBeUndefined();
    // An AOR names the same user.
    expect(
      (await harness.admin('GET', `/admin/registrations?user=${encodeURIComponent(ALICE)}`)).body,
    ).toEqual(byUser.body);

    const sessions = await harness.admin('GET', '/admin/sessions?edge=edge-0');
    expect(sessions.body.devices.map((d: { aor: string; deviceId: string }) => [d.aor, d.deviceId])).toEqual([
      [ALICE, DESK],
      [BOB, BOB_DESK],
    ]);

    const first = await harness.admin('GET', '/admin/registrations?edge=edge-0&limit=2');
    expect(first.body.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual([DESK, PHONE]);
    const second = await harness.admin(
      'GET',
      `/admin/registrations?edge=edge-0&limit=2&after=${first.body.next}`,
    );
    expect(second.body.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual([BOB_DESK]);
    expect(second.body.next).toBeUndefined();
    expect((await harness.admin('GET', '/admin/registrations?edge=nowhere')).body).toEqual({ devices: [] });

    expect(await harness.admin('GET', '/admin/registrations?user=alice&edge=edge-0')).toMatchObject({
      status: 400,
      body: { code: 'ADMIN_BAD_REQUEST' },
    });
    expect(await harness.admin('GET', '/admin/registrations')).toMatchObject({ status: 400 });
    expect(await harness.admin('GET', '/admin/sessions?edge=edge-0&after=garbage')).toMatchObject({
      status: 400,
      body: { code: 'AUTH_INVALID_CURSOR' },
    });
    expect(await harness.admin('GET', '/admin/sessions?user=sip:alice@elsewhere.example')).toMatchObject({
      status: 400,
      body: { code: 'AUTH_INVALID_USER' },
    });
  });

  // Presence does not run here (its aggregates read offline): the e2e test shows live presence.
  it('makes a pair buddies, pushing both rosters and presence to their devices, and removes it', async () => {
    const deskPushes = harness.pushes(DESK).length;
    const paired = await harness.admin('PUT', '/admin/rosters/alice/buddies/bob');
    expect(paired).toEqual({
      status: 200,
      body: {
        aor: ALICE,
        buddies: [{ uri: BOB, state: 'both', presence: { status: 'offline', at: expect.any(String) } }],
      },
    });
    await harness.until(
      () =>
        harness
          .pushes(DESK)
          .slice(deskPushes)
          .find((push) => push['type'] === 'presence'),
      'presence of bob at alice',
    );
    expect(harness.pushes(DESK).slice(deskPushes)).toEqual([
      expect.objectContaining({
        type: 'roster',
        buddies: [expect.objectContaining({ uri: BOB, state: 'both' })],
      }),
      expect.objectContaining({ type: 'presence', uri: BOB, status: 'offline' }),
    ]);
    expect(harness.pushes(BOB_DESK)).toContainEqual(
      expect.objectContaining({ type: 'presence', uri: ALICE }),
    );
    // Pairing again changes nothing; either side reads the pair.
    expect((await harness.admin('PUT', '/admin/rosters/bob/buddies/alice')).body.buddies).toEqual([
      expect.objectContaining({ uri: ALICE, state: 'both' }),
    ]);
    expect(await harness.admin('PUT', '/admin/rosters/alice/buddies/alice')).toMatchObject({
      status: 400,
      body: { code: 'PRESENCE_SELF_BUDDY' },
    });
    expect(await harness.admin('PUT', '/admin/rosters/alice/buddies/nobody')).toMatchObject({
      status: 404,
      body: { code: 'PRESENCE_UNKNOWN_USER' },
    });
    expect(await harness.admin('GET', '/admin/rosters/nobody')).toMatchObject({
      status: 404,
      body: { code: 'PRESENCE_UNKNOWN_USER' },
    });
    expect(await harness.admin('GET', '/admin/rosters/sip:alice@elsewhere.example')).toMatchObject({
      status: 400,
      body: { code: 'PRESENCE_INVALID_USER' },
    });

    expect((await harness.admin('GET', '/admin/stats')).body).toEqual({
      accounts: { total: 3, disabled: 0 },
      registrations: { total: 3, byTransport: { udp: 3 } },
      sessions: 2,
      rosters: { buddyPairs: 1, pendingRequests: 0 },
      offlineMessages: 0,
      presence: { publications: 0, subscriptions: 0 },
    });

    const bobPushes = harness.pushes(BOB_DESK).length;
    expect((await harness.admin('DELETE', '/admin/rosters/alice/buddies/bob')).status).toBe(204);
    expect((await harness.admin('GET', '/admin/rosters/alice')).body).toEqual({ aor: ALICE, buddies: [] });
    const bobRoster = await harness.until(() => harness.pushes(BOB_DESK)[bobPushes], "bob's new roster");
    expect(bobRoster).toMatchObject({ type: 'roster', buddies: [] });
    expect(await harness.admin('DELETE', '/admin/rosters/alice/buddies/bob')).toMatchObject({
      status: 404,
      body: { code: 'PRESENCE_NOT_IN_ROSTER' },
    });
  });

  it('kicks sessions as a logout and registrations as an unREGISTER, with the same events', async () => {
    const endedBefore = harness.events('auth.session-ended.v1').length;
    const loggedOut = await harness.admin('DELETE', '/admin/sessions/alice');
    expect(loggedOut).toEqual({
      status: 200,
      body: { kicked: [{ aor: ALICE, deviceId: DESK, loggedIn: true }] },
    });
    expect(harness.events('auth.session-ended.v1').slice(endedBefore)).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: DESK, carrier: 'INFO', reason: 'logout' }),
    ]);
    // The binding stays: the device is a logged-out client, still registered.
    expect((await harness.admin('GET', '/admin/registrations?user=alice')).body.devices).toHaveLength(2);
    expect((await harness.admin('DELETE', '/admin/sessions/alice')).body).toEqual({ kicked: [] });

    const unregisteredBefore = harness.events('auth.device-unregistered.v1').length;
    const kicked = await harness.admin('DELETE', `/admin/registrations/alice/${encodeURIComponent(PHONE)}`);
    expect(kicked.body).toEqual({ kicked: [{ aor: ALICE, deviceId: PHONE, loggedIn: false }] });
    expect(harness.events('auth.device-unregistered.v1').slice(unregisteredBefore)).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: PHONE, reason: 'unregister' }),
    ]);
    expect(
      await harness.admin('DELETE', `/admin/registrations/alice/${encodeURIComponent(PHONE)}`),
    ).toMatchObject({
      status: 404,
      body: { code: 'AUTH_DEVICE_NOT_FOUND' },
    });

    // bob is logged in: his unregistration ends his session first, as an unREGISTER does.
    const endedBeforeBob = harness.events('auth.session-ended.v1').length;
    expect((await harness.admin('DELETE', '/admin/registrations/bob')).body).toEqual({
      kicked: [{ aor: BOB, deviceId: BOB_DESK, loggedIn: true }],
    });
    expect(harness.events('auth.session-ended.v1').slice(endedBeforeBob)).toEqual([
      expect.objectContaining({ aor: BOB, deviceId: BOB_DESK, reason: 'unregistered' }),
    ]);
    expect((await harness.admin('GET', '/admin/sessions?edge=edge-0')).body).toEqual({ devices: [] });
    expect(await harness.admin('DELETE', '/admin/sessions/nobody')).toMatchObject({
      status: 404,
      body: { code: 'AUTH_ACCOUNT_NOT_FOUND' },
    });
  });

  it('refuses every route without the token', async () => {
    for (const [method, path] of [
      ['GET', '/admin/registrations?user=alice'],
      ['DELETE', '/admin/sessions/alice'],
      ['PUT', '/admin/rosters/alice/buddies/bob'],
      ['GET', '/admin/stats'],
      ['POST', '/admin/accounts/import'],
    ] as const) {
      expect(await harness.admin(method, path, undefined, 'wrong-token-wrong-token')).toMatchObject({
        status: 401,
        body: { code: 'ADMIN_UNAUTHORIZED' },
      });
    }
  });
});

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
