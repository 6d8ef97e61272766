import type { DevicePresence } from './presence-model';
import { aggregateOf, nextDeviceState } from './presence-rules';

const T0 = new Date('2026-01-02T03:00:00.000Z');
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function session(deviceId: string, status: 'online' | 'away' | 'busy' | 'invisible', note?: string, at = T0) {
  return {
    deviceId,
    mode: 'session',
    status,
    ...(note === undefined ? {} : { note }),
    changedAt: at,
  } as const;
}

describe('aggregateOf', () => {
  it('shows offline without devices', () => {
    expect(aggregateOf([])).toEqual({ status: 'offline' });
  });

  it.each([
    [['away', 'busy'], 'busy'],
    [['away', 'online', 'busy'], 'online'],
    [['away'], 'away'],
    [['invisible', 'away'], 'away'],
    [['invisible'], 'offline'],
  ] as const)('takes the most available of %j: %s', (statuses, expected) => {
    const devices = statuses.map((status, i) => session(`d${i}`, status));
    expect(aggregateOf(devices).status).toBe(expected);
  });

  it('counts a plain SIP device as online and a logged-out one as nothing', () => {
    expect(aggregateOf([{ deviceId: 'soft', mode: 'plain', changedAt: T0 }, session('d', 'busy')])).toEqual({
      status: 'online',
    });
    expect(aggregateOf([{ deviceId: 'gone', mode: 'ended', changedAt: T0 }])).toEqual({ status: 'offline' });
  });

  it("carries the winning device's note, the latest one between equals", () => {
    expect(aggregateOf([session('a', 'away', 'lunch'), session('b', 'busy', 'meeting')])).toEqual({
      status: 'busy',
      note: 'meeting',
    });
    expect(aggregateOf([session('a', 'away', 'old', T0), session('b', 'away', 'new', later(5))])).toEqual({
      status: 'away',
      note: 'new',
    });
  });

  it('never shows the note of an invisible device', () => {
    expect(aggregateOf([session('a', 'invisible', 'secret')])).toEqual({ status: 'offline' });
  });
});

describe('nextDeviceState', () => {
  const plain: DevicePresence = { deviceId: 'd', mode: 'plain', changedAt: T0 };

  it('makes a newly registered device plain, and keeps a session on refresh', () => {
    expect(nextDeviceState(undefined, { kind: 'registered', created: true, deviceId: 'd', at: T0 })).toEqual(
      plain,
    );
    const loggedIn = session('d', 'away');
    expect(
      nextDeviceState(loggedIn, { kind: 'registered', created: false, deviceId: 'd', at: later(1) }),
    ).toBe(loggedIn);
  });

  it('turns a logged-out device plain again only on a new binding', () => {
    const ended: DevicePresence = { deviceId: 'd', mode: 'ended', changedAt: T0 };
    expect(nextDeviceState(ended, { kind: 'registered', created: false, deviceId: 'd', at: later(1) })).toBe(
      ended,
    );
    expect(
      nextDeviceState(ended, { kind: 'registered', created: true, deviceId: 'd', at: later(1) }),
    ).toEqual({
      deviceId: 'd',
      mode: 'plain',
      changedAt: later(1),
    });
  });

  it('sets status and note, ends sessions, and ends unregistered devices', () => {
    expect(
      nextDeviceState(plain, { kind: 'status', status: 'busy', note: 'call', deviceId: 'd', at: later(1) }),
    ).toEqual(session('d', 'busy', 'call', later(1)));
    expect(
      nextDeviceState(session('d', 'busy'), { kind: 'session-ended', deviceId: 'd', at: later(1) }),
    ).toEqual({
      deviceId: 'd',
      mode: 'ended',
      changedAt: later(1),
    });
    expect(nextDeviceState(undefined, { kind: 'session-ended', deviceId: 'd', at: T0 })).toBeUndefined();
    expect(nextDeviceState(plain, { kind: 'unregistered', deviceId: 'd', at: later(1) })).toEqual({
      deviceId: 'd',
      mode: 'ended',
      changedAt: later(1),
    });
  });

  it('keeps an unregistered device so that its late device-registered (another topic) stays stale', () => {
    // A REGISTER decided at T0 and a kick at later(1): the kick's event is read first.
    for (const before of [undefined, plain]) {
      const kicked = nextDeviceState(before, { kind: 'unregistered', deviceId: 'd', at: later(1) });
      expect(kicked).toEqual({ deviceId: 'd', mode: 'ended', changedAt: later(1) });
      const late = { kind: 'registered', created: true, deviceId: 'd', at: T0 } as const;
      expect(nextDeviceState(kicked, late)).toBe(kicked);
      // A binding made after the kick shows again.
      expect(nextDeviceState(kicked, { ...late, at: later(2) })).toEqual({
        deviceId: 'd',
        mode: 'plain',
        changedAt: later(2),
      });
    }
  });

  it('ignores an event older than the last change (topics are not ordered with each other)', () => {
    const current = session('d', 'away', undefined, later(10));
    expect(nextDeviceState(current, { kind: 'status', status: 'online', deviceId: 'd', at: later(5) })).toBe(
      current,
    );
    expect(nextDeviceState(current, { kind: 'unregistered', deviceId: 'd', at: later(5) })).toBe(current);
  });
});
