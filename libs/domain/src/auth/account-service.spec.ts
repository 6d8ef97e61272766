import { ha1, verifyDigestResponse } from '#herald/sip';
import { AccountService } from './account-service';
import { AUTH_DEVICE_UNREGISTERED_V1, AUTH_SESSION_ENDED_V1 } from '#herald/contracts';
import {
  InMemoryAccounts,
  InMemoryBindings,
  InMemoryUnitOfWork,
  RecordingBus,
} from '../../testing/in-memory-auth';
import type { Registration } from './ports';

function setUp() {
  const accounts = new InMemoryAccounts();
  const service = new AccountService({
    unitOfWork: new InMemoryUnitOfWork(),
    accounts,
    digest: { ha1, verifyResponse: verifyDigestResponse },
    sipDomain: 'Herald.Example',
  });
  return { accounts, service };
}

describe('AccountService', () => {
  it('keeps HA1 per algorithm for the realm, never the password', async () => {
    const { accounts, service } = setUp();
    const view = await service.create({ username: 'alice', password: 'wonderland', displayName: 'Alice' });
    expect(view).toMatchObject({
      username: 'alice',
      aor: 'sip:alice@herald.example',
      disabled: false,
      displayName: 'Alice',
    });
    const stored = accounts.rows.get('alice');
    expect(stored?.ha1).toEqual({
      MD5: ha1('MD5', 'alice', 'herald.example', 'wonderland'),
      'SHA-256': ha1('SHA-256', 'alice', 'herald.example', 'wonderland'),
    });
    expect(JSON.stringify(stored)).not.toContain('wonderland');
  });

  it('imports many: each validated alone, taken or repeated usernames existed, the rest created in order', async () => {
    const { accounts, service } = setUp();
    await service.create({ username: 'carol', password: 'carol-pw' });
    const outcomes = await service.createMany([
      { username: 'alice', password: 'wonderland' },
      { username: 'carol', password: 'other-pw' },
      { username: 'Bad', password: 'whatever1' },
      { username: 'alice', password: 'second-pw' },
    ]);
    expect(outcomes).toEqual([
      { username: 'alice', outcome: 'created' },
      { username: 'carol', outcome: 'existed' },
      { username: 'Bad', outcome: 'refused', code: 'AUTH_INVALID_USERNAME', message: expect.any(String) },
      { username: 'alice', outcome: 'existed' },
    ]);
    expect(accounts.rows.get('alice')?.ha1.MD5).toBe(ha1('MD5', 'alice', 'herald.example', 'wonderland'));
    expect(accounts.rows.get('carol')?.ha1.MD5).toBe(ha1('MD5', 'carol', 'herald.example', 'carol-pw'));
    const tooMany = Array.from({ length: 1001 }, (_, index) => ({
      username: `u${index}`,
      password: 'secret1',
    }));
    await expect(service.createMany(tooMany)).rejects.toMatchObject({ code: 'AUTH_IMPORT_TOO_LARGE' });
  });

  it.each([
    ['a duplicate username', { username: 'alice', password: 'another1' }, 'AUTH_ACCOUNT_EXISTS'],
    ['an upper-case username', { username: 'Bob', password: 'secret1' }, 'AUTH_INVALID_USERNAME'],
    ['a short password', { username: 'bob', password: '123' }, 'AUTH_INVALID_PASSWORD'],
    [
      'settings over 4 KiB',
      { username: 'bob', password: 'secret1', settings: { blob: 'x'.repeat(4096) } },
      'AUTH_INVALID_PROFILE',
    ],
  ])('refuses %s', async (_case, request, code) => {
    const { service } = setUp();
    await service.create({ username: 'alice', password: 'wonderland' });
    await expect(service.create(request)).rejects.toMatchObject({ code });
  });

  it('resets the password, disables, updates the profile, lists and deletes', async () => {
    const { accounts, service } = setUp();
    await service.create({ username: 'bob', password: 'builder1' });
    await service.create({ username: 'alice', password: 'wonderland' });
    await service.resetPassword('bob', 'builder2');
    expect(accounts.rows.get('bob')?.ha1.MD5).toBe(ha1('MD5', 'bob', 'herald.example', 'builder2'));
    expect(await service.setDisabled('bob', true)).toMatchObject({ disabled: true });
    expect(await service.update('bob', { displayName: 'Bob', settings: { lang: 'en' } })).toMatchObject({
      displayName: 'Bob',
      settings: { lang: 'en' },
      disabled: true,
    });
    expect(await service.update('bob', { displayName: null })).not.toHaveProperty('displayName');
    expect((await service.list()).map((a) => a.username)).toEqual(['alice', 'bob']);
    expect((await service.list({ after: 'alice' })).map((a) => a.username)).toEqual(['bob']);
    await service.delete('bob');
    await expect(service.get('bob')).rejects.toMatchObject({ code: 'AUTH_ACCOUNT_NOT_FOUND' });
    await expect(service.delete('bob')).rejects.toMatchObject({ code: 'AUTH_ACCOUNT_NOT_FOUND' });
  });
});

describe('AccountService with device removal', () => {
  const AT = new Date('2026-01-02T03:04:05.000Z');
  const ALICE = 'sip:alice@herald.example';

  function binding(aor: string, deviceId: string): Registration {
    return {
      aor,
      deviceId,
      contact: `sip:${deviceId}@127.0.0.1:5070`,
      edgeId: 'edge-0',
      flowId: `udp:5060:127.0.0.1:${deviceId.length}`,
      transport: 'udp',
      source: { address: '127.0.0.1', port: 5070 },
      callId: `call-${deviceId}`,
      cseq: 1,
      expiresAt: new Date(AT.getTime() + 3_600_000),
    };
  }

  async function setUpWithDevices() {
    const bindings = new InMemoryBindings(() => AT);
    const bus = new RecordingBus();
    const service = new AccountService({
      unitOfWork: new InMemoryUnitOfWork(),
      accounts: new InMemoryAccounts(),
      digest: { ha1, verifyResponse: verifyDigestResponse },
      sipDomain: 'herald.example',
      deviceRemoval: { bus, registrations: bindings },
      now: () => AT,
    });
    await service.create({ username: 'alice', password: 'wonderland' });
    await service.create({ username: 'bob', password: 'builder1' });
    const unitOfWork = new InMemoryUnitOfWork();
    await unitOfWork.run(async (tx) => {
      await bindings.save(tx, binding(ALICE, 'phone'));
      await bindings.save(tx, binding(ALICE, 'laptop'));
      await bindings.save(tx, binding('sip:bob@herald.example', 'desk'));
      await bindings.sessionRepository.save(tx, {
        aor: ALICE,
        deviceId: 'phone',
        carrier: 'MESSAGE',
        status: 'online',
        startedAt: AT,
      });
    });
    return { bindings, bus, service };
  }

  it.each([
    ['deleting', 'account-deleted', (service: AccountService) => service.delete('alice')],
    ['disabling', 'account-disabled', (service: AccountService) => service.setDisabled('alice', true)],
  ] as const)(
    '%s an account ends its sessions and unregisters its devices, announced',
    async (_, reason, act) => {
      const { bindings, bus, service } = await setUpWithDevices();
      await act(service);

      expect([...bindings.registrations.values()].map((r) => r.deviceId)).toEqual(['desk']);
      expect(bindings.sessions.size).toBe(0);
      expect(bus.events(AUTH_SESSION_ENDED_V1)).toEqual([
        expect.objectContaining({
          aor: ALICE,
          deviceId: 'phone',
          carrier: 'MESSAGE',
          reason: 'unregistered',
        }),
      ]);
      expect(bus.events(AUTH_DEVICE_UNREGISTERED_V1)).toEqual([
        expect.objectContaining({ aor: ALICE, deviceId: 'phone', reason }),
        expect.objectContaining({ aor: ALICE, deviceId: 'laptop', reason }),
      ]);
    },
  );

  it('announces nothing for an account without devices, or one disabled already', async () => {
    const { bus, service } = await setUpWithDevices();
    await service.setDisabled('alice', true);
    bus.clear();
    await service.setDisabled('alice', true);
    await service.update('alice', { displayName: 'Alice' });
    await service.delete('alice');
    expect(bus.records).toEqual([]);
  });
});
