import { ha1, verifyDigestResponse } from '#herald/sip';
import { AUTH_DEVICE_UNREGISTERED_V1, AUTH_SESSION_ENDED_V1 } from '#herald/contracts';
import {
  InMemoryAccounts,
  InMemoryBindings,
  InMemoryUnitOfWork,
  RecordingBus,
} from '../../testing/in-memory-auth';
import type { Transaction } from '../shared';
import { AccountService } from './account-service';
import { DeviceAdministration } from './device-administration';
import type { AdministeredDevice, DeviceAdminRepository, Registration, Session } from './ports';

const DOMAIN = 'herald.example';
const ALICE = `sip:alice@${DOMAIN}`;
const NOW = new Date('2026-01-02T03:04:05.000Z');

/** The admin port over the in-memory bindings: devices in (aor, deviceId) order. */
class InMemoryDeviceAdmin implements DeviceAdminRepository {
  constructor(private readonly bindings: InMemoryBindings) {}

  async list(
    _tx: Transaction,
    selection: { aor: string } | { edgeId: string },
    page: { after?: { aor: string; deviceId: string }; limit: number; loggedInOnly: boolean },
  ): Promise<AdministeredDevice[]> {
    const key = (r: { aor: string; deviceId: string }) => JSON.stringify([r.aor, r.deviceId]);
    return [...this.bindings.registrations.values()]
      .filter((r) => ('aor' in selection ? r.aor === selection.aor : r.edgeId === selection.edgeId))
      .filter((r) => page.after === undefined || key(r) > key(page.after))
      .filter((r) => !page.loggedInOnly || this.bindings.sessions.has(key(r)))
      .sort((a, b) => key(a).localeCompare(key(b)))
      .slice(0, page.limit)
      .map((r) => ({ ...r, registeredAt: NOW }));
  }

  async endSessions(tx: Transaction, aor: string, deviceIds?: readonly string[]): Promise<Session[]> {
    const targets = [...this.bindings.sessions.values()].filter(
      (s) => s.aor === aor && (deviceIds === undefined || deviceIds.includes(s.deviceId)),
    );
    for (const session of targets) await this.bindings.sessionRepository.remove(tx, aor, session.deviceId);
    return targets;
  }
}

function binding(deviceId: string, edgeId = 'edge-0'): Registration {
  return {
    aor: ALICE,
    deviceId,
    contact: `sip:alice@127.0.0.1:5070`,
    edgeId,
    flowId: 'udp:5060:127.0.0.1:5070',
    transport: 'udp',
    source: { address: '127.0.0.1', port: 5070 },
    callId: 'call',
    cseq: 1,
    expiresAt: new Date(NOW.getTime() + 3_600_000),
  };
}

async function setUp() {
  const unitOfWork = new InMemoryUnitOfWork();
  const accounts = new InMemoryAccounts();
  await new AccountService({
    unitOfWork,
    accounts,
    digest: { ha1, verifyResponse: verifyDigestResponse },
    sipDomain: DOMAIN,
  }).create({ username: 'alice', password: 'wonderland' });
  const bindings = new InMemoryBindings(() => NOW);
  const tx = await unitOfWork.run(async (transaction) => transaction);
  for (const deviceId of ['desk', 'phone', 'tablet']) {
    await bindings.save(tx, binding(deviceId, deviceId === 'tablet' ? 'edge-1' : 'edge-0'));
  }
  await bindings.sessionRepository.save(tx, {
    aor: ALICE,
    deviceId: 'desk',
    carrier: 'INFO',
    status: 'online',
    startedAt: NOW,
  });
  const bus = new RecordingBus();
  const admin = new DeviceAdministration({
    unitOfWork,
    bus,
    accounts,
    registrations: bindings,
    devices: new InMemoryDeviceAdmin(bindings),
    sipDomain: DOMAIN,
    now: () => NOW,
  });
  return { admin, bus, bindings };
}

describe('DeviceAdministration', () => {
  it('pages through a user’s devices with an opaque cursor and refuses a forged one', async () => {
    const { admin } = await setUp();
    const first = await admin.list({ user: 'alice', limit: 2 });
    expect(first.devices.map((d) => d.deviceId)).toEqual(['desk', 'phone']);
    const second = await admin.list({ user: ALICE, limit: 2, after: first.next });
    expect(second).toEqual({ devices: [expect.objectContaining({ deviceId: 'tablet' })] });
    expect((await admin.list({ edgeId: 'edge-1' })).devices.map((d) => d.deviceId)).toEqual(['tablet']);
    await expect(admin.list({ user: 'alice', after: 'not-a-cursor' })).rejects.toMatchObject({
      code: 'AUTH_INVALID_CURSOR',
    });
  });

  it('unregisters as an unREGISTER does: the session ends first, then the binding, both announced', async () => {
    const { admin, bus, bindings } = await setUp();
    expect(await admin.unregister('alice', 'desk')).toEqual([
      { aor: ALICE, deviceId: 'desk', loggedIn: true },
    ]);
    expect(bus.events(AUTH_SESSION_ENDED_V1)).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: 'desk', reason: 'unregistered' }),
    ]);
    expect(bus.events(AUTH_DEVICE_UNREGISTERED_V1)).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: 'desk', reason: 'unregister' }),
    ]);
    expect(bindings.registrations.size).toBe(2);
    await expect(admin.unregister('alice', 'desk')).rejects.toMatchObject({ code: 'AUTH_DEVICE_NOT_FOUND' });
    expect(await admin.unregister('alice')).toHaveLength(2);
    await expect(admin.unregister('nobody')).rejects.toMatchObject({ code: 'AUTH_ACCOUNT_NOT_FOUND' });
  });

  it('logs out as a logout does and keeps the binding', async () => {
    const { admin, bus, bindings } = await setUp();
    expect(await admin.logout('alice')).toEqual([{ aor: ALICE, deviceId: 'desk', loggedIn: true }]);
    expect(bus.events(AUTH_SESSION_ENDED_V1)).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: 'desk', carrier: 'INFO', reason: 'logout' }),
    ]);
    expect(bus.events(AUTH_DEVICE_UNREGISTERED_V1)).toEqual([]);
    expect(bindings.registrations.size).toBe(3);
    expect(await admin.logout('alice')).toEqual([]);
    await expect(admin.logout('alice', 'phone')).rejects.toMatchObject({ code: 'AUTH_DEVICE_NOT_FOUND' });
  });
});
