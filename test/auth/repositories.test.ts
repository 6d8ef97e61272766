import { type Account, type Registration } from '#herald/domain';
import {
  SqlAccountDirectory,
  SqlDeviceDirectory,
  SqlAccountRepository,
  SqlSendCheckLookup,
  SqlRegistrationRepository,
  SqlSessionRepository,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../support/database';
import { AUTH_TEST_TIMEOUT_MS } from './timeouts';

jest.setTimeout(AUTH_TEST_TIMEOUT_MS);

const AT = new Date('2026-01-02T03:00:00.000Z');

function account(username: string): Account {
  return {
    username,
    aor: `sip:${username}@herald.example`,
    realm: 'herald.example',
    ha1: { MD5: 'a'.repeat(32), 'SHA-256': 'b'.repeat(64) },
    disabled: false,
    profile: { settings: { n: 1 } },
    createdAt: AT,
    updatedAt: AT,
  };
}

function binding(aor: string, deviceId: string, expiresAt: Date): Registration {
  return {
    aor,
    deviceId,
    contact: `sip:${deviceId}@127.0.0.1`,
    edgeId: 'edge-1',
    flowId: `tcp:${deviceId}`,
    transport: 'tcp',
    source: { address: '::1', port: 40000 },
    callId: 'c',
    cseq: 2 ** 31 - 1,
    expiresAt,
  };
}

describe('auth repositories (real PostgreSQL)', () => {
  let dataSource: DataSource;
  let unitOfWork: TypeOrmUnitOfWork;
  const accounts = new SqlAccountRepository();
  const registrations = new SqlRegistrationRepository();
  const sessions = new SqlSessionRepository();

  beforeAll(async () => {
    dataSource = await createMigratedDataSource();
    unitOfWork = new TypeOrmUnitOfWork(dataSource);
    await unitOfWork.run(async (tx) => {
      for (const name of ['carol', 'alice', 'bob'])
        expect(await accounts.insert(tx, account(name))).toBe(true);
      expect(await accounts.insert(tx, account('bob'))).toBe(false);
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('round-trips accounts and pages them by username', async () => {
    await unitOfWork.run(async (tx) => {
      expect(await accounts.findByAor(tx, 'sip:bob@herald.example', { lock: true })).toEqual(account('bob'));
      expect((await accounts.list(tx, { limit: 2 })).map((a) => a.username)).toEqual(['alice', 'bob']);
      expect((await accounts.list(tx, { after: 'bob', limit: 2 })).map((a) => a.username)).toEqual(['carol']);
    });
  });

  it("reads a REGISTER's credentials of several accounts, in username order, and locks their rows", async () => {
    const credentials = ({ username, aor, realm, ha1, disabled }: Account) => ({
      username,
      aor,
      realm,
      ha1,
      disabled,
    });
    await unitOfWork.run(async (tx) => {
      expect(
        await accounts.findCredentialsByUsername(tx, ['carol', 'nobody', 'alice'], { lock: true }),
      ).toEqual([credentials(account('alice')), credentials(account('carol'))]);
      expect(await accounts.findCredentialsByUsername(tx, ['bob'])).toEqual([credentials(account('bob'))]);
      // The lock is held: another transaction cannot take carol's row lock meanwhile.
      await expect(
        dataSource.query(`SELECT username FROM accounts WHERE username = 'carol' FOR UPDATE NOWAIT`),
      ).rejects.toThrow(/could not obtain lock/);
    });
  });

  it("keeps a binding's Contact parameters across a refresh and clears them when it sends none", async () => {
    const aor = 'sip:carol@herald.example';
    const live = new Date(Date.now() + 60_000);
    const params = ';+sip.instance="<urn:uuid:c1>";reg-id=1';
    await unitOfWork.run((tx) =>
      registrations.saveAll(tx, [{ ...binding(aor, 'p-1', live), contactParams: params }]),
    );
    expect(await unitOfWork.run((tx) => registrations.find(tx, aor, 'p-1'))).toMatchObject({
      contactParams: params,
    });
    await unitOfWork.run((tx) => registrations.saveAll(tx, [binding(aor, 'p-1', live)]));
    const refreshed = await unitOfWork.run((tx) => registrations.find(tx, aor, 'p-1'));
    expect(refreshed).toBeDefined();
    expect(refreshed).not.toHaveProperty('contactParams');
    await unitOfWork.run((tx) => registrations.remove(tx, aor, ['p-1']));
  });

  it('ends sessions with their bindings and reports the carrier of each', async () => {
    const alice = 'sip:alice@herald.example';
    const live = new Date(Date.now() + 60_000);
    await unitOfWork.run(async (tx) => {
      await registrations.saveAll(tx, [binding(alice, 'd-1', live), binding(alice, 'd-2', live)]);
      await sessions.save(tx, {
        aor: alice,
        deviceId: 'd-1',
        carrier: 'MESSAGE',
        status: 'away',
        startedAt: AT,
      });
    });
    const directory = new SqlDeviceDirectory(dataSource);
    expect(await directory.device(alice, 'd-1')).toEqual({
      aor: alice,
      deviceId: 'd-1',
      edgeId: 'edge-1',
      flowId: 'tcp:d-1',
      contact: 'sip:d-1@127.0.0.1',
      carrier: 'MESSAGE',
    });
    expect(await directory.device(alice, 'd-2')).toMatchObject({ carrier: 'PLAIN' });
    const removed = await unitOfWork.run((tx) => registrations.remove(tx, alice, ['d-1', 'd-2', 'd-9']));
    expect(removed.sort((a, b) => a.deviceId.localeCompare(b.deviceId))).toEqual([
      { aor: alice, deviceId: 'd-1', endedSessionCarrier: 'MESSAGE' },
      { aor: alice, deviceId: 'd-2' },
    ]);
    expect(await unitOfWork.run((tx) => sessions.find(tx, alice, 'd-1'))).toBeUndefined();
  });

  it('removes a session alone and returns it once', async () => {
    const bob = 'sip:bob@herald.example';
    await unitOfWork.run(async (tx) => {
      await registrations.saveAll(tx, [binding(bob, 'b-1', new Date(Date.now() + 60_000))]);
      await sessions.save(tx, {
        aor: bob,
        deviceId: 'b-1',
        carrier: 'INFO',
        status: 'busy',
        note: 'call',
        device: { name: 'desk' },
        startedAt: AT,
      });
    });
    const first = await unitOfWork.run((tx) => sessions.remove(tx, bob, 'b-1'));
    expect(first).toEqual({
      aor: bob,
      deviceId: 'b-1',
      carrier: 'INFO',
      status: 'busy',
      note: 'call',
      device: { name: 'desk' },
      startedAt: AT,
    });
    expect(await unitOfWork.run((tx) => sessions.remove(tx, bob, 'b-1'))).toBeUndefined();
    expect(await unitOfWork.run((tx) => registrations.find(tx, bob, 'b-1'))).toMatchObject({
      cseq: 2 ** 31 - 1,
    });
  });

  it('reads an im.send group’s senders’ devices and recipients’ accounts in one query, as the two lookups would', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((name) => `sip:${name}@herald.example`);
    const nobody = 'sip:nobody@herald.example';
    const live = new Date(Date.now() + 60_000);
    await unitOfWork.run(async (tx) => {
      await registrations.saveAll(tx, [
        binding(alice, 's-2', live),
        binding(alice, 's-1', live),
        binding(bob, 's-3', live),
      ]);
      await sessions.save(tx, {
        aor: alice,
        deviceId: 's-1',
        carrier: 'INFO',
        status: 'online',
        startedAt: AT,
      });
    });
    const directory = new SqlDeviceDirectory(dataSource);
    const lookup = new SqlSendCheckLookup(dataSource);
    const accountDirectory = new SqlAccountDirectory(dataSource);
    try {
      for (const [senders, recipients] of [
        [[alice], [bob]],
        [
          [alice, carol, bob],
          [nobody, carol, bob],
        ],
        [[carol], [nobody]],
      ]) {
        expect(await lookup.sendersAndRecipients(senders, recipients)).toEqual({
          devices: await directory.loggedInDevices(senders, { includePlainSip: true }),
          existing: await accountDirectory.existing(recipients),
        });
      }
      const { devices } = await lookup.sendersAndRecipients([alice], [bob]);
      // s-1 logged in, s-2 plain: both, in device order.
      expect(devices.get(alice)?.map((device) => `${device.deviceId}:${device.carrier}`)).toEqual([
        's-1:INFO',
        's-2:PLAIN',
      ]);
    } finally {
      await unitOfWork.run(async (tx) => {
        await registrations.remove(tx, alice, ['s-1', 's-2']);
        await registrations.remove(tx, bob, ['s-3']);
      });
    }
  });

  it('keeps a device that logged in (then out) a JSON client across refreshes: neither plain nor logged in', async () => {
    const alice = 'sip:alice@herald.example';
    const live = new Date(Date.now() + 60_000);
    const directory = new SqlDeviceDirectory(dataSource);
    const plainDevices = async () =>
      ((await directory.loggedInDevices([alice], { includePlainSip: true })).get(alice) ?? []).map(
        (device) => `${device.deviceId}:${device.carrier}`,
      );
    await unitOfWork.run(async (tx) => {
      await registrations.saveAll(tx, [binding(alice, 'j-1', live)]);
      await sessions.save(tx, {
        aor: alice,
        deviceId: 'j-1',
        carrier: 'INFO',
        status: 'online',
        startedAt: AT,
      });
    });
    expect(await plainDevices()).toEqual(['j-1:INFO']);
    await unitOfWork.run((tx) => sessions.remove(tx, alice, 'j-1'));
    // A refresh rewrites the binding but keeps what the device is.
    await unitOfWork.run((tx) => registrations.saveAll(tx, [{ ...binding(alice, 'j-1', live), cseq: 3 }]));
    expect(await plainDevices()).toEqual([]);
    expect(await directory.device(alice, 'j-1')).toBeUndefined();
    // Removed and registered anew without a login: a plain SIP device (protocol.md §7).
    await unitOfWork.run((tx) => registrations.remove(tx, alice, ['j-1']));
    await unitOfWork.run((tx) => registrations.saveAll(tx, [binding(alice, 'j-1', live)]));
    expect(await plainDevices()).toEqual(['j-1:PLAIN']);
    expect(await directory.device(alice, 'j-1')).toMatchObject({ carrier: 'PLAIN' });
    await unitOfWork.run((tx) => registrations.remove(tx, alice, ['j-1']));
  });

  it('hides bindings past their expiry from the DeviceDirectory before the sweeper runs', async () => {
    const carol = 'sip:carol@herald.example';
    await unitOfWork.run((tx) =>
      registrations.saveAll(tx, [binding(carol, 'c-1', new Date(Date.now() - 1000))]),
    );
    const directory = new SqlDeviceDirectory(dataSource);
    expect(await directory.device(carol, 'c-1')).toBeUndefined();
    expect((await directory.loggedInDevices([carol], { includePlainSip: true })).get(carol)).toEqual([]);
    const expired = await unitOfWork.run((tx) => registrations.removeExpired(tx, new Date(), 10));
    expect(expired).toEqual({ removed: [{ aor: carol, deviceId: 'c-1' }], postponed: 0 });
  });

  describe('the expiry sweep, by sweep_at (a refresh that extends the expiry leaves it: a HOT update)', () => {
    const bob = 'sip:bob@herald.example';
    const sweepAt = async (deviceId: string): Promise<Date | undefined> => {
      const rows: Array<{ sweep_at: Date }> = await dataSource.query(
        'SELECT sweep_at FROM registrations WHERE aor = $1 AND device_id = $2',
        [bob, deviceId],
      );
      return rows[0]?.sweep_at;
    };
    const sweep = () => unitOfWork.run((tx) => registrations.removeExpired(tx, new Date(), 10));

    it('puts off a binding refreshed after it came due to its expiry, once', async () => {
      const first = new Date(Date.now() - 1000);
      const refreshed = new Date(Date.now() + 3_600_000);
      await unitOfWork.run((tx) => registrations.saveAll(tx, [binding(bob, 'h-1', first)]));
      await unitOfWork.run((tx) =>
        registrations.saveAll(tx, [{ ...binding(bob, 'h-1', refreshed), cseq: 3 }]),
      );
      expect(await sweepAt('h-1')).toEqual(first);
      expect(await sweep()).toEqual({ removed: [], postponed: 1 });
      expect(await sweepAt('h-1')).toEqual(refreshed);
      expect(await sweep()).toEqual({ removed: [], postponed: 0 });
      await unitOfWork.run((tx) => registrations.remove(tx, bob, ['h-1']));
    });

    it('removes a binding whose refresh shortened its expiry at that expiry', async () => {
      await unitOfWork.run((tx) =>
        registrations.saveAll(tx, [binding(bob, 'h-2', new Date(Date.now() + 3_600_000))]),
      );
      const shortened = new Date(Date.now() - 1000);
      await unitOfWork.run((tx) =>
        registrations.saveAll(tx, [{ ...binding(bob, 'h-2', shortened), cseq: 3 }]),
      );
      expect(await sweepAt('h-2')).toEqual(shortened);
      expect(await sweep()).toEqual({ removed: [{ aor: bob, deviceId: 'h-2' }], postponed: 0 });
    });

    it('refuses an expiry before sweep_at, which the sweep would find late', async () => {
      await unitOfWork.run((tx) =>
        registrations.saveAll(tx, [binding(bob, 'h-3', new Date(Date.now() + 3_600_000))]),
      );
      await expect(
        dataSource.query(`UPDATE registrations SET expires_at = now() WHERE aor = $1 AND device_id = 'h-3'`, [
          bob,
        ]),
      ).rejects.toThrow(/ck_registrations_swept_in_time/);
      await unitOfWork.run((tx) => registrations.remove(tx, bob, ['h-3']));
    });
  });
});
