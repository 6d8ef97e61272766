import {
  edgeOutboundTopic,
  PRESENCE_STATUS_CHANGED_V1,
  type PublishRequestedV1,
  publishRequestedV1,
} from '#herald/contracts';
import type { Device, DeviceDirectory } from '../push';
import {
  type CommandKey,
  type IdempotencyClaim,
  type IdempotencyStore,
  type StoredLookup,
  Transaction,
  type UnitOfWork,
} from '../shared';
import { RecordingBus } from '../../testing/recording-bus';
import type { PresenceRepository, RosterPair, RosterRepository } from './ports';
import type { AggregatePresence, DevicePresence } from './presence-model';
import {
  type ExpiredPublication,
  PresencePublications,
  type PublicationRepository,
} from './presence-publications';

const ALICE = 'sip:alice@herald.example';
const PHONE = 'sip:alice@127.0.0.1:5070';
const EDGE = 'edge-0';
const T0 = new Date('2026-01-02T03:00:00.000Z');

class FakeTx extends Transaction {}

/** Runs work at once; no rollback, so tests check only what a committed run leaves. */
const unitOfWork: UnitOfWork = {
  run: (work) => work(new FakeTx()),
  runSingleStatement: (work) => work(new FakeTx()),
};

class MapIdempotency implements IdempotencyStore {
  readonly rows = new Map<string, unknown>();
  async claim(_tx: Transaction, key: CommandKey): Promise<IdempotencyClaim> {
    const id = JSON.stringify(key);
    if (this.rows.has(id)) return { kind: 'duplicate', result: this.rows.get(id) };
    this.rows.set(id, null);
    return { kind: 'first' };
  }
  async storeResult(_tx: Transaction, key: CommandKey, result: unknown) {
    this.rows.set(JSON.stringify(key), result);
  }
  storeResultUnflushed(tx: Transaction, key: CommandKey, result: unknown) {
    return this.storeResult(tx, key, result);
  }
  async findResults(_tx: Transaction, keys: readonly CommandKey[]): Promise<StoredLookup[]> {
    return keys.map((key) => {
      const id = JSON.stringify(key);
      return this.rows.has(id) ? { found: true, result: this.rows.get(id) } : { found: false };
    });
  }
}

/** One user's devices and aggregate; nobody watches (fan-out is the tracker's, tested elsewhere). */
class OneUserStore implements PresenceRepository, PublicationRepository {
  readonly devices = new Map<string, DevicePresence>();
  aggregate: AggregatePresence = { status: 'offline', at: new Date(0) };

  async lockAggregate() {
    return this.aggregate;
  }
  async saveAggregate(_tx: Transaction, _aor: string, aggregate: AggregatePresence) {
    this.aggregate = aggregate;
  }
  async devicesOf() {
    return [...this.devices.values()];
  }
  async saveDevice(_tx: Transaction, _aor: string, device: DevicePresence) {
    this.devices.set(device.deviceId, device);
  }
  async forgetEndedDevices(): Promise<number> {
    throw new Error('not used by these specs');
  }
  async expired(_tx: Transaction, now: Date): Promise<ExpiredPublication[]> {
    return [...this.devices.values()].flatMap(({ deviceId, publication }) =>
      publication !== undefined && publication.expiresAt <= now
        ? [{ aor: ALICE, deviceId, etag: publication.etag }]
        : [],
    );
  }
}

const noWatchers: RosterRepository = {
  lockPair: async (): Promise<RosterPair> => ({}),
  save: async () => undefined,
  remove: async () => undefined,
  rosterOf: async () => [],
  lockWithBuddies: async () => undefined,
  watchersOf: async () => [],
};

function directoryOf(devices: Device[]): DeviceDirectory {
  return {
    loggedInDevices: async (aors) => new Map(aors.map((aor) => [aor, []])),
    device: async (aor, deviceId) => devices.find((d) => d.aor === aor && d.deviceId === deviceId),
  };
}

const PHONE_DEVICE: Device = {
  aor: ALICE,
  deviceId: PHONE,
  edgeId: EDGE,
  flowId: 'udp:5060:127.0.0.1:5070',
  contact: PHONE,
  carrier: 'PLAIN',
};

function setUp(options: { registered?: Device[] } = {}) {
  const store = new OneUserStore();
  const bus = new RecordingBus();
  let now = T0;
  let etags = 0;
  const publications = new PresencePublications({
    unitOfWork,
    idempotency: new MapIdempotency(),
    presence: store,
    publications: store,
    rosters: noWatchers,
    directory: directoryOf(options.registered ?? [PHONE_DEVICE]),
    bus,
    now: () => now,
    newEtag: () => `e-${++etags}`,
  });
  const replies = () => bus.events(edgeOutboundTopic(EDGE));
  const shown = () => bus.events(PRESENCE_STATUS_CHANGED_V1).map((e) => [e['status'], e['note']]);
  return {
    store,
    publications,
    replies,
    shown,
    advance: (seconds: number) => (now = new Date(now.getTime() + seconds * 1000)),
  };
}

/** The phone as a registered plain SIP device shows: online (protocol.md §7). */
function registeredPlain(store: OneUserStore): void {
  store.devices.set(PHONE, { deviceId: PHONE, mode: 'plain', changedAt: new Date(0) });
  store.aggregate = { status: 'online', at: new Date(0) };
}

let transactions = 0;
function request(fields: Partial<PublishRequestedV1>): PublishRequestedV1 {
  transactions += 1;
  return publishRequestedV1.build(
    {
      edgeId: EDGE,
      txKey: `z9hG4bK-${transactions}|PUBLISH`,
      flowId: PHONE_DEVICE.flowId,
      aor: ALICE,
      deviceId: PHONE,
      callId: 'c-1',
      expires: 60,
      deadline: new Date(T0.getTime() + 5_000).toISOString(),
      ...fields,
    },
    T0,
  );
}

describe('PresencePublications', () => {
  it('creates a publication on a registered device, answers 200 with its entity-tag, and shows it', async () => {
    const { store, publications, replies, shown } = setUp();
    registeredPlain(store);

    await publications.publish(request({ state: { basic: 'closed', note: 'away from desk' } }));

    expect(replies()).toEqual([
      expect.objectContaining({ type: 'publish.decided', status: 200, etag: 'e-1', expires: 60 }),
    ]);
    expect(store.devices.get(PHONE)?.publication).toEqual({
      etag: 'e-1',
      basic: 'closed',
      note: 'away from desk',
      expiresAt: new Date(T0.getTime() + 60_000),
    });
    expect(shown()).toEqual([['offline', undefined]]);
  });

  it('decides a redelivered PUBLISH once: the same decision again, no second change', async () => {
    const { store, publications, replies } = setUp();
    const initial = request({ state: { basic: 'open' } });
    await publications.publish(initial);
    await publications.publish(initial);
    expect(replies().map((r) => [r['status'], r['etag']])).toEqual([
      [200, 'e-1'],
      [200, 'e-1'],
    ]);
    expect(store.devices.get(PHONE)?.publication?.etag).toBe('e-1');
  });

  it('refreshes with a new entity-tag keeping the state, modifies, removes; a spent or unknown tag gets 412', async () => {
    const { store, publications, replies, shown } = setUp();
    await publications.publish(request({ state: { basic: 'open', note: 'here' } }));
    await publications.publish(request({ ifMatch: 'e-1', expires: 120 }));
    expect(store.devices.get(PHONE)?.publication).toMatchObject({ etag: 'e-2', basic: 'open', note: 'here' });
    await publications.publish(request({ ifMatch: 'e-1' }));
    await publications.publish(request({ ifMatch: 'never-issued' }));
    await publications.publish(request({ ifMatch: 'e-2', state: { basic: 'closed' } }));
    await publications.publish(request({ ifMatch: 'e-3', expires: 0 }));

    expect(replies().map((r) => [r['status'], r['etag'], r['expires']])).toEqual([
      [200, 'e-1', 60],
      [200, 'e-2', 120],
      [412, undefined, undefined],
      [412, undefined, undefined],
      [200, 'e-3', 60],
      [200, undefined, 0],
    ]);
    // Removed: the device is what it was without it (plain: online, no note).
    expect(store.devices.get(PHONE)).toEqual(expect.not.objectContaining({ publication: expect.anything() }));
    expect(shown()).toEqual([
      ['online', 'here'],
      ['offline', undefined],
      ['online', undefined],
    ]);
  });

  it('answers 403 for a device that is no longer registered, and nothing after the deadline', async () => {
    const { store, publications, replies } = setUp({ registered: [] });
    await publications.publish(request({ state: { basic: 'open' } }));
    expect(replies().map((r) => [r['status'], r['reason']])).toEqual([
      [403, 'Forbidden (device not registered)'],
    ]);
    expect(store.devices.size).toBe(0);

    const late = request({ state: { basic: 'open' }, deadline: new Date(T0.getTime() - 1).toISOString() });
    await publications.publish(late);
    expect(replies()).toHaveLength(1);
  });

  it('expires publications past their Expires and reverts the device; a live one stays', async () => {
    const { store, publications, shown, advance } = setUp();
    registeredPlain(store);
    await publications.publish(request({ state: { basic: 'closed' }, expires: 60 }));
    advance(59);
    expect(await publications.expire()).toBe(0);
    advance(1);
    expect(await publications.expire()).toBe(1);
    expect(store.devices.get(PHONE)).toEqual({
      deviceId: PHONE,
      mode: 'plain',
      changedAt: new Date(T0.getTime() + 60_000),
    });
    expect(shown()).toEqual([
      ['offline', undefined],
      ['online', undefined],
    ]);
    await expect(publications.expire()).resolves.toBe(0);
  });
});
