import { EndedDeviceRetention, ENDED_DEVICE_RETENTION_MS } from '#herald/domain';
import { SqlPresenceRepository, TypeOrmUnitOfWork } from '#herald/persistence';
import { PresenceHarness } from './presence-harness';

/**
 * A device that unregistered (a kick, an account removal, an expiry) is kept as `ended`: auth
 * publishes device-registered and device-unregistered on different topics, so the event of a
 * REGISTER decided just before a kick can be read after the kick's, and must then be stale.
 */
describe('ended devices in presence (real PostgreSQL, in-process bus)', () => {
  let h: PresenceHarness;

  beforeAll(async () => {
    h = await PresenceHarness.start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  const modes = async (aor: string) =>
    (
      (await h.dataSource.query(
        `SELECT device_id, mode FROM presence_devices WHERE aor = $1 ORDER BY device_id`,
        [aor],
      )) as Array<{ device_id: string; mode: string }>
    ).map((row) => [row.device_id, row.mode]);

  it('keeps a kicked device offline when the REGISTER decided before the kick is read after it', async () => {
    const rita = await h.user('rita');
    const decided = new Date(Date.now() - 1_000);
    await h.publishDeviceUnregistered(rita, 'rita-softphone');
    await h.waitForDeviceMode(rita, 'rita-softphone', 'ended');
    await h.publishDeviceRegistered(rita, 'rita-softphone', decided);
    // Same topic and key, so handled after the late one: once it shows, the late one was handled.
    await h.publishDeviceRegistered(rita, 'rita-tablet');
    await h.waitForDeviceMode(rita, 'rita-tablet', 'plain');
    expect(await modes(rita)).toEqual([
      ['rita-softphone', 'ended'],
      ['rita-tablet', 'plain'],
    ]);
    expect(h.statusChanges.filter((e) => e.aor === rita).map((e) => e.status)).toEqual(['online']);
  });

  it('forgets ended devices after their retention, but not a published one or a recent one', async () => {
    const sam = await h.user('sam');
    const now = new Date();
    const old = new Date(now.getTime() - ENDED_DEVICE_RETENTION_MS - 60_000);
    const recent = new Date(now.getTime() - ENDED_DEVICE_RETENTION_MS + 60_000);
    const presence = new SqlPresenceRepository();
    const unitOfWork = new TypeOrmUnitOfWork(h.dataSource);
    await unitOfWork.run(async (tx) => {
      await presence.saveDevice(tx, sam, { deviceId: 'old-ended', mode: 'ended', changedAt: old });
      await presence.saveDevice(tx, sam, { deviceId: 'recent-ended', mode: 'ended', changedAt: recent });
      await presence.saveDevice(tx, sam, { deviceId: 'old-plain', mode: 'plain', changedAt: old });
      await presence.saveDevice(tx, sam, {
        deviceId: 'old-ended-published',
        mode: 'ended',
        changedAt: old,
        publication: { etag: 'e-1', basic: 'open', expiresAt: new Date(now.getTime() + 60_000) },
      });
    });
    const retention = new EndedDeviceRetention({ unitOfWork, presence, now: () => now });
    expect(await retention.sweep()).toBe(1);
    expect(await modes(sam)).toEqual([
      ['old-ended-published', 'ended'],
      ['old-plain', 'plain'],
      ['recent-ended', 'ended'],
    ]);
    expect(await retention.sweep()).toBe(0);
  });
});
