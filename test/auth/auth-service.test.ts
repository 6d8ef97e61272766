import { RegistrationExpiry } from '#herald/domain';
import {
  createDataSource,
  SqlDeviceDirectory,
  SqlRegistrationRepository,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import { AuthHarness, commandFrom, registerRequest, DOMAIN } from './auth-harness';
import { AUTH_TEST_TIMEOUT_MS } from './timeouts';

jest.setTimeout(AUTH_TEST_TIMEOUT_MS);

const ALICE = `sip:alice@${DOMAIN}`;
const DESK = '<urn:uuid:00000000-0000-4000-8000-000000000001>';
const PHONE = 'sip:alice@127.0.0.1:5080;transport=tcp';

describe('auth service (real PostgreSQL, in-process bus)', () => {
  let harness: AuthHarness;

  beforeAll(async () => {
    harness = await AuthHarness.start();
    const created = await harness.admin('POST', '/admin/accounts', {
      username: 'alice',
      password: 'wonderland',
      displayName: 'Alice',
    });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('registers a device with a SHA-256 digest and another with MD5', async () => {
    await harness.send(registerRequest({ password: 'wonderland', algorithm: 'SHA-256' }));
    expect(await harness.decision(1)).toMatchObject({
      status: 200,
      aor: ALICE,
      contacts: [{ uri: 'sip:alice@127.0.0.1:5070;transport=udp', expires: 3600 }],
    });
    await harness.send(
      registerRequest({
        password: 'wonderland',
        algorithm: 'MD5',
        callId: 'call-phone',
        contacts: [{ uri: PHONE, expires: 600 }],
      }),
    );
    const second = await harness.decision(2);
    expect(second['status']).toBe(200);
    expect(second['contacts']).toHaveLength(2);
    expect(harness.events('auth.device-registered.v1').map((e) => [e['deviceId'], e['created']])).toEqual([
      [DESK, true],
      [PHONE, true],
    ]);
  });

  it('refreshes a binding, clamping its expiry to the maximum', async () => {
    await harness.send(
      registerRequest({
        password: 'wonderland',
        contacts: [{ uri: 'sip:alice@127.0.0.1:5070;transport=udp', expires: 86400, instanceId: DESK }],
      }),
    );
    const decision = await harness.decision(3);
    expect(decision['contacts']).toContainEqual({
      uri: 'sip:alice@127.0.0.1:5070;transport=udp',
      expires: 7200,
    });
    // The decision and the events of one REGISTER go out in one publish: a refresh announced nothing.
    expect(harness.events('auth.device-registered.v1')).toHaveLength(2);
  });

  it('answers 401 to a wrong password and an unknown user, 403 to a disabled account', async () => {
    await harness.send(registerRequest({ password: 'not-the-password' }));
    expect(await harness.decision(4)).toMatchObject({ status: 401, contacts: [] });
    await harness.send(registerRequest({ username: 'mallory', password: 'whatever' }));
    expect(await harness.decision(5)).toMatchObject({ status: 401 });
    expect(
      (await harness.admin('POST', '/admin/accounts', { username: 'dave', password: 'disabled1' })).status,
    ).toBe(201);
    expect((await harness.admin('POST', '/admin/accounts/dave/disable')).body).toMatchObject({
      disabled: true,
    });
    await harness.send(registerRequest({ username: 'dave', password: 'disabled1' }));
    expect(await harness.decision(6)).toMatchObject({ status: 403 });
    // Only the two bindings of the first test: no refused REGISTER announced one.
    expect(harness.events('auth.device-registered.v1')).toHaveLength(2);
  });

  it('logs in, pushes the result over the device flow, serves the profile and logs out', async () => {
    await harness.send(commandFrom(DESK, { id: 'c-1', type: 'login', status: 'busy', note: 'coding' }));
    await harness.until(() => harness.events('auth.session-started.v1')[0], 'session-started');
    expect(harness.pushes(DESK)).toEqual([
      expect.objectContaining({
        type: 'login.result',
        re: 'c-1',
        ok: true,
        user: ALICE,
        profile: { displayName: 'Alice', settings: {} },
      }),
    ]);
    expect(harness.events('auth.session-started.v1')[0]).toMatchObject({
      deviceId: DESK,
      carrier: 'INFO',
      status: 'busy',
      note: 'coding',
    });
    const directory = new SqlDeviceDirectory(harness.dataSource);
    const loggedIn = await directory.loggedInDevices([ALICE, `sip:nobody@${DOMAIN}`]);
    expect(loggedIn.get(ALICE)?.map((d) => [d.deviceId, d.carrier])).toEqual([[DESK, 'INFO']]);
    expect(loggedIn.get(`sip:nobody@${DOMAIN}`)).toEqual([]);
    const withPlain = await directory.loggedInDevices([ALICE], { includePlainSip: true });
    expect(
      withPlain
        .get(ALICE)
        ?.map((d) => d.carrier)
        .sort(),
    ).toEqual(['INFO', 'PLAIN']);

    await harness.send(commandFrom(DESK, { id: 'c-2', type: 'profile.set', settings: { theme: 'dark' } }));
    await harness.send(commandFrom(DESK, { id: 'c-3', type: 'profile.get' }));
    await harness.send(commandFrom(PHONE, { id: 'p-1', type: 'profile.get' }));
    await harness.send(commandFrom(DESK, { id: 'c-4', type: 'teleport' }));
    await harness.send(commandFrom(DESK, { id: 'c-5', type: 'logout' }));
    await harness.until(() => harness.events('auth.session-ended.v1')[0], 'session-ended');
    expect(harness.pushes(DESK).map((p) => [p['type'], p['ok'] ?? null])).toEqual([
      ['login.result', true],
      ['profile', null],
      ['profile.set.result', true],
      ['profile', null],
      ['profile.get.result', true],
      ['teleport.result', false],
      ['logout.result', true],
    ]);
    expect(harness.pushes(DESK)[3]).toMatchObject({ displayName: 'Alice', settings: { theme: 'dark' } });
    expect(harness.events('auth.session-ended.v1')[0]).toMatchObject({ deviceId: DESK, reason: 'logout' });
    // PHONE is registered but never logged in: its JSON command is refused with not-logged-in.
    expect(harness.pushes(PHONE)).toEqual([
      expect.objectContaining({
        type: 'profile.get.result',
        re: 'p-1',
        ok: false,
        error: expect.objectContaining({ code: 'not-logged-in' }),
      }),
    ]);
    expect((await harness.admin('GET', '/admin/accounts/alice')).body).toMatchObject({
      settings: { theme: 'dark' },
    });
  });

  it('processes a duplicate command id once and re-sends only its stored result', async () => {
    await harness.send(commandFrom(DESK, { id: 'c-6', type: 'login' }, 'MESSAGE'));
    await harness.until(() => harness.events('auth.session-started.v1')[1], 'second login');
    await harness.send(commandFrom(DESK, { id: 'c-6', type: 'login' }, 'MESSAGE'));
    await harness.until(
      () => (harness.pushes(DESK).filter((p) => p['re'] === 'c-6').length === 2 ? true : undefined),
      'the re-sent result',
    );
    const [first, again] = harness.pushes(DESK).filter((p) => p['re'] === 'c-6');
    expect(again).toEqual({ ...first, id: again['id'] });
    expect(harness.events('auth.session-started.v1')).toHaveLength(2);
  });

  it('sweeps expired bindings: unregistered as expired, their sessions ended', async () => {
    await harness.dataSource.query(
      `UPDATE registrations SET expires_at = now() - interval '1 second', sweep_at = now() - interval '1 second'`,
    );
    await harness.sweeper().sweepNow();
    const unregistered = await harness.until(
      () =>
        harness.events('auth.device-unregistered.v1').length >= 2
          ? harness.events('auth.device-unregistered.v1')
          : undefined,
      'expiry events',
    );
    expect(unregistered.map((e) => [e['deviceId'], e['reason']]).sort()).toEqual(
      [
        [DESK, 'expired'],
        [PHONE, 'expired'],
      ].sort(),
    );
    expect(harness.events('auth.session-ended.v1')[1]).toMatchObject({
      deviceId: DESK,
      reason: 'expired',
      carrier: 'MESSAGE',
    });
    expect(await harness.dataSource.query(`SELECT count(*)::int AS n FROM registrations`)).toEqual([
      { n: 0 },
    ]);
    expect(await harness.dataSource.query(`SELECT count(*)::int AS n FROM sessions`)).toEqual([{ n: 0 }]);
  });

  it('sweeps each binding once when two replicas sweep together', async () => {
    const before = harness.events('auth.device-unregistered.v1').length;
    for (let i = 0; i < 7; i++) {
      await harness.send(
        registerRequest({
          password: 'wonderland',
          callId: `bulk-${i}`,
          contacts: [{ uri: `sip:alice@127.0.0.1:${6000 + i}`, expires: 60 }],
        }),
      );
    }
    await harness.decision(6 + 7);
    await harness.dataSource.query(
      `UPDATE registrations SET expires_at = now() - interval '1 second', sweep_at = now() - interval '1 second'`,
    );
    await Promise.all([harness.sweeper().sweepNow(), otherReplicaSweep(harness)]);
    const swept = await harness.until(
      () => (harness.events('auth.device-unregistered.v1').length - before >= 7 ? true : undefined),
      'bulk expiry',
    );
    expect(swept).toBe(true);
    const ids = harness
      .events('auth.device-unregistered.v1')
      .slice(before)
      .map((e) => e['deviceId']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(7);
  });

  it('unregisters one contact with expires 0 and every contact with *', async () => {
    const decided = harness.decisions().length;
    await harness.send(
      registerRequest({
        password: 'wonderland',
        callId: 'u-1',
        contacts: [
          { uri: 'sip:alice@127.0.0.1:7001', expires: 300 },
          { uri: 'sip:alice@127.0.0.1:7002', expires: 300 },
        ],
      }),
    );
    await harness.decision(decided + 1);
    await harness.send(
      registerRequest({
        password: 'wonderland',
        callId: 'u-1',
        contacts: [{ uri: 'sip:alice@127.0.0.1:7001', expires: 0 }],
        expires: 0,
      }),
    );
    expect(await harness.decision(decided + 2)).toMatchObject({
      status: 200,
      contacts: [{ uri: 'sip:alice@127.0.0.1:7002' }],
    });
    await harness.send(
      registerRequest({ password: 'wonderland', callId: 'u-1', contacts: [], star: true, expires: 0 }),
    );
    expect(await harness.decision(decided + 3)).toMatchObject({ status: 200, contacts: [] });
    const reasons = harness
      .events('auth.device-unregistered.v1')
      .slice(-2)
      .map((e) => [e['deviceId'], e['reason']]);
    expect(reasons).toEqual([
      ['sip:alice@127.0.0.1:7001', 'unregister'],
      ['sip:alice@127.0.0.1:7002', 'unregister'],
    ]);
  });

  it('keeps a device that logged in and out a JSON client across a refresh, not a plain SIP device', async () => {
    const erin = `sip:erin@${DOMAIN}`;
    const laptop = { uri: 'sip:erin@127.0.0.1:7100', expires: 600, instanceId: '<urn:uuid:e1>' };
    expect(
      (await harness.admin('POST', '/admin/accounts', { username: 'erin', password: 'erin-pass' })).status,
    ).toBe(201);
    const directory = new SqlDeviceDirectory(harness.dataSource);
    const reachable = async () =>
      ((await directory.loggedInDevices([erin], { includePlainSip: true })).get(erin) ?? []).map(
        (d) => d.carrier,
      );
    const decided = harness.decisions().length;
    const registerLaptop = () =>
      harness.send(
        registerRequest({ username: 'erin', password: 'erin-pass', callId: 'erin-1', contacts: [laptop] }),
      );
    await registerLaptop();
    expect(await harness.decision(decided + 1)).toMatchObject({ status: 200 });
    expect(await reachable()).toEqual(['PLAIN']);
    const ended = harness.events('auth.session-ended.v1').length;
    await harness.send(commandFrom(laptop.instanceId, { id: 'e-1', type: 'login' }, 'INFO', erin));
    await harness.send(commandFrom(laptop.instanceId, { id: 'e-2', type: 'logout' }, 'INFO', erin));
    await harness.until(() => harness.events('auth.session-ended.v1')[ended], 'erin session-ended');
    expect(await reachable()).toEqual([]);
    await registerLaptop();
    expect(await harness.decision(decided + 2)).toMatchObject({ status: 200 });
    expect(await reachable()).toEqual([]);
    expect(await directory.device(erin, laptop.instanceId)).toBeUndefined();
  });

  it('skips a REGISTER past its deadline: no decision, no binding, no idempotency record', async () => {
    const fay = { uri: 'sip:alice@127.0.0.1:7200', expires: 600 };
    const decided = harness.decisions().length;
    const registered = harness.events('auth.device-registered.v1').length;
    const late = {
      ...registerRequest({ password: 'wonderland', callId: 'late-1', contacts: [fay] }),
      deadline: new Date(Date.now() - 1_000).toISOString(),
    };
    await harness.send(late);
    // A REGISTER in time after it is decided, so the late one was handled (skipped) before.
    await harness.send({
      ...registerRequest({ password: 'wonderland', callId: 'late-2', contacts: [] }),
      deadline: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(await harness.decision(decided + 1)).toMatchObject({ status: 200 });
    expect(harness.decisions()).toHaveLength(decided + 1);
    expect(harness.events('auth.device-registered.v1')).toHaveLength(registered);
    const rows: Array<{ n: number }> = await harness.dataSource.query(
      `SELECT (SELECT count(*)::int FROM registrations WHERE contact = $1)
            + (SELECT count(*)::int FROM processed_commands WHERE command_id = $2) AS n`,
      [fay.uri, `${late.edgeId} ${late.txKey}`],
    );
    expect(rows[0].n).toBe(0);
  });
});

/** A second replica's sweep: its own RegistrationExpiry on its own connection pool. */
async function otherReplicaSweep(harness: AuthHarness): Promise<number> {
  const replica = createDataSource({ url: harness.databaseUrl });
  await replica.initialize();
  try {
    return await new RegistrationExpiry({
      unitOfWork: new TypeOrmUnitOfWork(replica),
      bus: harness.bus,
      registrations: new SqlRegistrationRepository(),
      batchSize: 2,
    }).sweep();
  } finally {
    await replica.destroy();
  }
}
