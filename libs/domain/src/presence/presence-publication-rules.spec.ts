import type { DevicePresence, Publication } from './presence-model';
import { aggregateOf, nextDeviceState } from './presence-rules';

const T0 = new Date('2026-01-02T03:00:00.000Z');
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function publication(basic: 'open' | 'closed', etag = 'e1', note?: string): Publication {
  return { etag, basic, ...(note === undefined ? {} : { note }), expiresAt: later(3600) };
}

const plain: DevicePresence = { deviceId: 'phone', mode: 'plain', changedAt: T0 };

describe('publications (RFC 3903) in the presence rules', () => {
  it('shows a published open as online with its note, closed as offline, over the device mode', () => {
    expect(aggregateOf([{ ...plain, publication: publication('open', 'e1', 'in a call') }])).toEqual({
      status: 'online',
      note: 'in a call',
    });
    expect(aggregateOf([{ ...plain, publication: publication('closed') }])).toEqual({ status: 'offline' });
    // Another device still counts.
    const away: DevicePresence = { deviceId: 'pc', mode: 'session', status: 'away', changedAt: T0 };
    expect(aggregateOf([{ ...plain, publication: publication('closed') }, away])).toEqual({ status: 'away' });
  });

  it('publishes on a known device, and on one whose registration event has not arrived yet (as plain)', () => {
    const published = nextDeviceState(plain, {
      kind: 'published',
      deviceId: 'phone',
      publication: publication('closed'),
      at: later(1),
    });
    expect(published).toEqual({ ...plain, changedAt: later(1), publication: publication('closed') });
    expect(
      nextDeviceState(undefined, {
        kind: 'published',
        deviceId: 'phone',
        publication: publication('open'),
        at: T0,
      }),
    ).toEqual({ ...plain, publication: publication('open') });
  });

  it('reverts to the device mode when the publication with that entity-tag goes, not another', () => {
    const published: DevicePresence = { ...plain, publication: publication('closed', 'e2') };
    expect(
      nextDeviceState(published, { kind: 'unpublished', deviceId: 'phone', etag: 'e1', at: later(1) }),
    ).toBe(published);
    const reverted = nextDeviceState(published, {
      kind: 'unpublished',
      deviceId: 'phone',
      etag: 'e2',
      at: later(1),
    });
    expect(reverted).toEqual({ ...plain, changedAt: later(1) });
    expect(aggregateOf(reverted === undefined ? [] : [reverted])).toEqual({ status: 'online' });
  });

  it('keeps the publication across a registration refresh; login, logout and unregister end it', () => {
    const published: DevicePresence = { ...plain, publication: publication('closed') };
    const refresh = { deviceId: 'phone', at: later(1) } as const;
    expect(nextDeviceState(published, { ...refresh, kind: 'registered', created: false })).toBe(published);
    expect(nextDeviceState(published, { ...refresh, kind: 'status', status: 'busy' })).toEqual({
      deviceId: 'phone',
      mode: 'session',
      status: 'busy',
      changedAt: later(1),
    });
    expect(nextDeviceState(published, { ...refresh, kind: 'session-ended' })).toEqual({
      deviceId: 'phone',
      mode: 'ended',
      changedAt: later(1),
    });
    expect(nextDeviceState(published, { ...refresh, kind: 'unregistered' })).toEqual({
      deviceId: 'phone',
      mode: 'ended',
      changedAt: later(1),
    });
  });
});
