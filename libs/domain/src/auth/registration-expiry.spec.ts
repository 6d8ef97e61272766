import { InMemoryBindings, InMemoryUnitOfWork, RecordingBus } from '../../testing/in-memory-auth';
import { RegistrationExpiry } from './registration-expiry';

const tx = {} as never;

describe('RegistrationExpiry', () => {
  it('removes expired bindings in batches, ending sessions as logouts, and keeps live ones', async () => {
    const now = new Date('2026-01-02T03:00:00.000Z');
    const bindings = new InMemoryBindings(() => now);
    const bus = new RecordingBus();
    for (let i = 0; i < 5; i++) {
      await bindings.save(tx, {
        aor: 'sip:alice@herald.example',
        deviceId: `d-${i}`,
        contact: `sip:alice@127.0.0.1:${5000 + i}`,
        edgeId: 'edge-0',
        flowId: `f-${i}`,
        transport: 'udp',
        source: { address: '127.0.0.1', port: 5000 + i },
        callId: 'c',
        cseq: 1,
        // d-4 is still live.
        expiresAt: new Date(now.getTime() + (i === 4 ? 1000 : -1000)),
      });
    }
    await bindings.sessionRepository.save(tx, {
      aor: 'sip:alice@herald.example',
      deviceId: 'd-1',
      carrier: 'INFO',
      status: 'online',
      startedAt: now,
    });
    const expiry = new RegistrationExpiry({
      unitOfWork: new InMemoryUnitOfWork(),
      bus,
      registrations: bindings,
      batchSize: 2,
      now: () => now,
    });
    expect(await expiry.sweep()).toBe(4);
    expect([...bindings.registrations.values()].map((r) => r.deviceId)).toEqual(['d-4']);
    expect(bus.events('auth.device-unregistered.v1').map((e) => [e['deviceId'], e['reason']])).toEqual(
      ['d-0', 'd-1', 'd-2', 'd-3'].map((id) => [id, 'expired']),
    );
    expect(bus.events('auth.session-ended.v1')).toEqual([
      expect.objectContaining({ deviceId: 'd-1', reason: 'expired', carrier: 'INFO' }),
    ]);
    expect(await expiry.sweep()).toBe(0);
  });

  it('counts the bindings a batch put off as handled: the sweep goes on past a batch of them', async () => {
    const now = new Date('2026-01-02T03:00:00.000Z');
    const bindings = new InMemoryBindings(() => now);
    const bus = new RecordingBus();
    // A store whose first batch only put off bindings refreshed since they came due.
    const batches = [
      { removed: [], postponed: 2 },
      { removed: [{ aor: 'sip:alice@herald.example', deviceId: 'd-9' }], postponed: 0 },
    ];
    const registrations = Object.assign(Object.create(bindings) as InMemoryBindings, {
      removeExpired: jest.fn(async () => batches.shift() ?? { removed: [], postponed: 0 }),
    });
    const expiry = new RegistrationExpiry({
      unitOfWork: new InMemoryUnitOfWork(),
      bus,
      registrations,
      batchSize: 2,
      now: () => now,
    });
    expect(await expiry.sweep()).toBe(3);
    expect(registrations.removeExpired).toHaveBeenCalledTimes(2);
    expect(bus.events('auth.device-unregistered.v1').map((e) => [e['deviceId'], e['reason']])).toEqual([
      ['d-9', 'expired'],
    ]);
  });
});
