import { RecordingBus as SharedRecordingBus } from '../../testing/recording-bus';
import { type CommandReceivedV1, edgeOutboundV1, statusChangedV1 } from '#herald/contracts';
import type { AccountDirectory } from '../shared';
import type { Device, DeviceDirectory } from '../push';
import {
  type CommandKey,
  type IdempotencyClaim,
  type IdempotencyStore,
  type StoredLookup,
  Transaction,
  type UnitOfWork,
} from '../shared';
import type { PresenceRepository, RosterPair, RosterRepository } from './ports';
import type { AggregatePresence, DevicePresence, RosterBuddyView, RosterEntry } from './presence-model';
import { PresenceService } from './presence-service';

const DOMAIN = 'herald.example';
const aor = (user: string) => `sip:${user}@${DOMAIN}`;
const [ALICE, BOB, CAROL, DAVE] = ['alice', 'bob', 'carol', 'dave'].map(aor);
const AT = '2026-01-02T03:04:05.000Z';

class FakeTx extends Transaction {}

/** Runs work at once; these fakes keep no rollback, so tests only check committed outcomes. */
const unitOfWork: UnitOfWork = {
  run: (work) => work(new FakeTx()),
  runSingleStatement: (work) => work(new FakeTx()),
};

class MapIdempotency implements IdempotencyStore {
  readonly rows = new Map<string, unknown>();
  async claim(_tx: Transaction, key: CommandKey, expectedResult?: unknown): Promise<IdempotencyClaim> {
    const id = JSON.stringify(key);
    if (this.rows.has(id)) return { kind: 'duplicate', result: this.rows.get(id) };
    this.rows.set(id, expectedResult ?? null);
    return { kind: 'first' };
  }
  async storeResult(_tx: Transaction, key: CommandKey, result: unknown) {
    this.rows.set(JSON.stringify(key), result);
  }
  storeResultUnflushed(tx: Transaction, key: CommandKey, result: unknown): Promise<void> {
    return this.storeResult(tx, key, result);
  }
  async findResults(_tx: Transaction, keys: readonly CommandKey[]): Promise<StoredLookup[]> {
    return keys.map((key) => {
      const id = JSON.stringify(key);
      return this.rows.has(id) ? { found: true, result: this.rows.get(id) } : { found: false };
    });
  }
}

class MemoryStore implements RosterRepository, PresenceRepository {
  readonly entries = new Map<string, RosterEntry>();
  readonly aggregates = new Map<string, AggregatePresence>();
  readonly devices = new Map<string, Map<string, DevicePresence>>();
  watcherQueries = 0;

  async lockPair(_tx: Transaction, a: string, b: string): Promise<RosterPair> {
    return { forward: this.entries.get(`${a} ${b}`), reverse: this.entries.get(`${b} ${a}`) };
  }
  async save(_tx: Transaction, entries: readonly RosterEntry[]) {
    for (const e of entries) this.entries.set(`${e.ownerAor} ${e.buddyAor}`, e);
  }
  async remove(_tx: Transaction, pairs: ReadonlyArray<{ ownerAor: string; buddyAor: string }>) {
    for (const p of pairs) this.entries.delete(`${p.ownerAor} ${p.buddyAor}`);
  }
  async rosterOf(_tx: Transaction, owner: string): Promise<RosterBuddyView[]> {
    return [...this.entries.values()]
      .filter((e) => e.ownerAor === owner)
      .map((e) => ({
        ...e,
        presence:
          e.state === 'both'
            ? (this.aggregates.get(e.buddyAor) ?? { status: 'offline', at: new Date(AT) })
            : { status: 'offline', at: new Date(AT) },
      }));
  }
  async watchersOf(_tx: Transaction, target: string) {
    this.watcherQueries++;
    return [...this.entries.values()]
      .filter((e) => e.buddyAor === target && e.state === 'both')
      .map((e) => e.ownerAor);
  }
  async lockWithBuddies(): Promise<void> {}
  async lockAggregate(_tx: Transaction, user: string): Promise<AggregatePresence> {
    return this.aggregates.get(user) ?? { status: 'offline', at: new Date(0) };
  }
  async saveAggregate(_tx: Transaction, user: string, aggregate: AggregatePresence) {
    this.aggregates.set(user, aggregate);
  }
  async devicesOf(_tx: Transaction, user: string) {
    return [...(this.devices.get(user)?.values() ?? [])];
  }
  async saveDevice(_tx: Transaction, user: string, device: DevicePresence) {
    const map = this.devices.get(user) ?? new Map();
    map.set(device.deviceId, device);
    this.devices.set(user, map);
  }
  async forgetEndedDevices(): Promise<number> {
    throw new Error('not used by these specs');
  }
}

function device(user: string, deviceId: string, carrier: Device['carrier'] = 'INFO'): Device {
  return {
    aor: user,
    deviceId,
    edgeId: 'edge-0',
    flowId: `udp:${deviceId}`,
    contact: `sip:${deviceId}@127.0.0.1`,
    carrier,
  };
}

class StaticDirectory implements DeviceDirectory {
  constructor(readonly devices: Device[]) {}
  async loggedInDevices(aors: readonly string[]) {
    return new Map(aors.map((a) => [a, this.devices.filter((d) => d.aor === a && d.carrier !== 'PLAIN')]));
  }
  async device(user: string, deviceId: string) {
    return this.devices.find((d) => d.aor === user && d.deviceId === deviceId);
  }
}

class RecordingBus extends SharedRecordingBus {
  /** Pushes as [deviceId, body] in publish order. */
  pushes(): Array<[string, Record<string, unknown>]> {
    return this.publishCalls
      .flat()
      .filter((r) => r.topic.startsWith('edge.'))
      .map((r) => {
        const event = edgeOutboundV1.decode(r.value);
        if (event.type !== 'push.requested') throw new Error(event.type);
        return [event.deviceId, JSON.parse(event.body) as Record<string, unknown>];
      });
  }
  statusChanges() {
    return this.publishCalls
      .flat()
      .filter((r) => r.topic === statusChangedV1.topic)
      .map((r) => statusChangedV1.decode(r.value));
  }
}

function setUp(options: { accounts?: string[]; devices?: Device[] } = {}) {
  const store = new MemoryStore();
  const bus = new RecordingBus();
  const directory = new StaticDirectory(
    options.devices ?? [
      device(ALICE, 'alice-1'),
      device(BOB, 'bob-1'),
      device(BOB, 'bob-2'),
      device(CAROL, 'carol-1'),
    ],
  );
  const known = options.accounts ?? [ALICE, BOB, CAROL];
  const accounts: AccountDirectory = { exists: async (a) => known.includes(a) };
  const idempotency = new MapIdempotency();
  const service = new PresenceService({
    unitOfWork,
    idempotency,
    rosters: store,
    presence: store,
    accounts,
    directory,
    bus,
  });
  let seq = 0;
  const command = (from: string, deviceId: string, envelope: Record<string, unknown>): Promise<void> =>
    service.handleCommand({
      v: 1,
      type: 'sip.command-received',
      at: AT,
      edgeId: 'edge-0',
      flowId: `udp:${deviceId}`,
      deviceId,
      contact: `sip:${deviceId}@127.0.0.1`,
      aor: from,
      carrier: 'INFO',
      callId: `call-${++seq}`,
      receivedAt: new Date(Date.parse(AT) + seq * 1000).toISOString(),
      envelope: { v: 1, id: `c-${seq}`, ...envelope } as CommandReceivedV1['envelope'],
    });
  return { store, bus, service, command, idempotency };
}

const types = (pushes: Array<[string, Record<string, unknown>]>) =>
  pushes.map(([d, body]) => [d, body['type']]);

describe('PresenceService roster commands', () => {
  it('adds a buddy as pending-out / pending-in and sends the target a buddy.request', async () => {
    const { store, bus, command } = setUp();
    await command(ALICE, 'alice-1', { type: 'roster.add', uri: 'sip:BOB@herald.example', name: 'Bob' });

    expect(store.entries.get(`${ALICE} ${BOB}`)).toEqual({
      ownerAor: ALICE,
      buddyAor: BOB,
      name: 'Bob',
      state: 'pending-out',
    });
    expect(store.entries.get(`${BOB} ${ALICE}`)).toEqual({
      ownerAor: BOB,
      buddyAor: ALICE,
      state: 'pending-in',
    });
    // Pushes go out inside the transaction, the result after commit; the sender's roster first.
    expect(bus.pushes()).toEqual([
      [
        'alice-1',
        expect.objectContaining({
          type: 'roster',
          buddies: [{ uri: BOB, name: 'Bob', state: 'pending-out', status: 'offline' }],
        }),
      ],
      ['bob-1', expect.objectContaining({ type: 'buddy.request', from: ALICE })],
      ['bob-2', expect.objectContaining({ type: 'buddy.request', from: ALICE })],
      ['alice-1', expect.objectContaining({ type: 'roster.add.result', re: 'c-1', ok: true })],
    ]);
  });

  it.each([
    ['oneself', ALICE, 'not-allowed'],
    ['an unknown user', DAVE, 'not-found'],
  ])('refuses adding %s', async (_case, uri, code) => {
    const { store, bus, command } = setUp();
    await command(ALICE, 'alice-1', { type: 'roster.add', uri });
    expect(store.entries.size).toBe(0);
    expect(bus.pushes()).toEqual([
      [
        'alice-1',
        expect.objectContaining({
          type: 'roster.add.result',
          ok: false,
          error: expect.objectContaining({ code }),
        }),
      ],
    ]);
  });

  it('answers conflict for a buddy already in the roster', async () => {
    const { bus, command } = setUp();
    await command(ALICE, 'alice-1', { type: 'roster.add', uri: BOB });
    bus.clear();
    await command(ALICE, 'alice-1', { type: 'roster.add', uri: BOB });
    expect(bus.pushes()).toEqual([
      [
        'alice-1',
        expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'conflict' }) }),
      ],
    ]);
  });

  it('on accept makes both entries both, pushes both rosters and presence both ways', async () => {
    const { store, bus, command, service } = setUp();
    await service.sessionStarted({
      v: 1,
      type: 'auth.session-started',
      at: AT,
      aor: ALICE,
      deviceId: 'alice-1',
      carrier: 'INFO',
      status: 'busy',
      note: 'call',
    });
    await command(ALICE, 'alice-1', { type: 'roster.add', uri: BOB });
    bus.clear();

    await command(BOB, 'bob-1', { type: 'buddy.answer', from: ALICE, accept: true });

    expect(store.entries.get(`${ALICE} ${BOB}`)?.state).toBe('both');
    expect(store.entries.get(`${BOB} ${ALICE}`)?.state).toBe('both');
    expect(types(bus.pushes())).toEqual([
      ['bob-1', 'roster'],
      ['bob-2', 'roster'],
      ['alice-1', 'roster'],
      ['bob-1', 'presence'],
      ['bob-2', 'presence'],
      ['alice-1', 'presence'],
      ['bob-1', 'buddy.answer.result'],
    ]);
    expect(bus.pushes()[3][1]).toMatchObject({ uri: ALICE, status: 'busy', note: 'call' });
    expect(bus.pushes()[5][1]).toMatchObject({ uri: BOB, status: 'offline' });
  });

  it('treats adding someone who already asked as accepting their request', async () => {
    const { store, bus, command } = setUp();
    await command(ALICE, 'alice-1', { type: 'roster.add', uri: BOB });
    bus.clear();
    await command(BOB, 'bob-1', { type: 'roster.add', uri: ALICE, group: 'friends' });
    expect(store.entries.get(`${BOB} ${ALICE}`)).toEqual({
      ownerAor: BOB,
      buddyAor: ALICE,
      group: 'friends',
      state: 'both',
    });
    expect(store.entries.get(`${ALICE} ${BOB}`)?.state).toBe('both');
    expect(types(bus.pushes()).filter(([, type]) => type === 'presence')).toHaveLength(3);
  });

  it('pushes the roster to the asking device for roster.get, with pending entries offline', async () => {
    const { bus, command } = setUp();
    await command(ALICE, 'alice-1', { type: 'roster.add', uri: BOB, group: 'work' });
    bus.clear();
    await command(ALICE, 'alice-1', { type: 'roster.get' });
    expect(bus.pushes()).toEqual([
      [
        'alice-1',
        expect.objectContaining({
          type: 'roster',
          buddies: [{ uri: BOB, group: 'work', state: 'pending-out', status: 'offline' }],
        }),
      ],
      ['alice-1', expect.objectContaining({ type: 'roster.get.result', ok: true })],
    ]);
  });

  it('on refuse removes both entries', async () => {
    const { store, command } = setUp();
    await command(ALICE, 'alice-1', { type: 'roster.add', uri: BOB });
    await command(BOB, 'bob-1', { type: 'buddy.answer', from: ALICE, accept: false });
    expect(store.entries.size).toBe(0);
  });

  it('answers not-found to an answer without a pending request', async () => {
    const { bus, command } = setUp();
    await command(BOB, 'bob-1', { type: 'buddy.answer', from: ALICE, accept: true });
    expect(bus.pushes()).toEqual([
      [
        'bob-1',
        expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'not-found' }) }),
      ],
    ]);
  });

  it('updates name and group, keeping what is not given', async () => {
    const { store, command } = setUp();
    await command(ALICE, 'alice-1', { type: 'roster.add', uri: BOB, name: 'Bob', group: 'work' });
    await command(ALICE, 'alice-1', { type: 'roster.update', uri: BOB, group: 'friends' });
    expect(store.entries.get(`${ALICE} ${BOB}`)).toMatchObject({ name: 'Bob', group: 'friends' });
  });

  it('pushes the changed roster to every device of the user who updated it, before the result', async () => {
    const { bus, command } = setUp();
    await command(BOB, 'bob-1', { type: 'roster.add', uri: CAROL, name: 'Carol' });
    bus.clear();
    await command(BOB, 'bob-1', { type: 'roster.update', uri: CAROL, group: 'friends' });
    const roster = expect.objectContaining({
      type: 'roster',
      buddies: [{ uri: CAROL, name: 'Carol', group: 'friends', state: 'pending-out', status: 'offline' }],
    });
    expect(bus.pushes()).toEqual([
      ['bob-1', roster],
      ['bob-2', roster],
      ['bob-1', expect.objectContaining({ type: 'roster.update.result', ok: true })],
    ]);
  });

  it('pushes the new roster to both users after a remove, the remover included', async () => {
    const { bus, command } = setUp();
    await command(ALICE, 'alice-1', { type: 'roster.add', uri: BOB });
    await command(BOB, 'bob-1', { type: 'buddy.answer', from: ALICE, accept: true });
    bus.clear();
    await command(BOB, 'bob-2', { type: 'roster.remove', uri: ALICE });
    const empty = expect.objectContaining({ type: 'roster', buddies: [] });
    expect(bus.pushes()).toEqual([
      ['bob-1', empty],
      ['bob-2', empty],
      ['alice-1', empty],
      ['bob-2', expect.objectContaining({ type: 'roster.remove.result', ok: true })],
    ]);
  });

  it('removes both ways, after which status changes reach no one', async () => {
    const { store, bus, command, service } = setUp();
    await command(ALICE, 'alice-1', { type: 'roster.add', uri: BOB });
    await command(BOB, 'bob-1', { type: 'buddy.answer', from: ALICE, accept: true });
    await command(BOB, 'bob-1', { type: 'roster.remove', uri: ALICE });
    expect(store.entries.size).toBe(0);
    bus.clear();
    await service.sessionStarted({
      v: 1,
      type: 'auth.session-started',
      at: AT,
      aor: ALICE,
      deviceId: 'alice-1',
      carrier: 'INFO',
      status: 'online',
    });
    expect(bus.pushes().filter(([d]) => d.startsWith('bob'))).toEqual([]);
  });
});

describe('PresenceService status and fan-out', () => {
  async function friends(
    ctx: ReturnType<typeof setUp>,
    a: string,
    aDevice: string,
    b: string,
    bDevice: string,
  ) {
    await ctx.command(a, aDevice, { type: 'roster.add', uri: b });
    await ctx.command(b, bDevice, { type: 'buddy.answer', from: a, accept: true });
  }

  it('pushes an aggregate change to every device of every accepted watcher with one watcher query and one publish', async () => {
    const ctx = setUp();
    await friends(ctx, ALICE, 'alice-1', BOB, 'bob-1');
    await friends(ctx, ALICE, 'alice-1', CAROL, 'carol-1');
    await ctx.command(DAVE, 'dave-1', { type: 'roster.add', uri: ALICE });
    ctx.bus.clear();
    ctx.store.watcherQueries = 0;

    await ctx.command(ALICE, 'alice-1', { type: 'presence.set', status: 'away', note: 'lunch' });

    expect(ctx.store.watcherQueries).toBe(1);
    const fanOut =
      ctx.bus.publishCalls.find((records) => records.some((r) => r.value.toString().includes('"presence'))) ??
      [];
    expect(fanOut.map((r) => r.key)).toEqual([BOB, BOB, CAROL]);
    expect(
      ctx.bus
        .pushes()
        .filter(([, b]) => b['type'] === 'presence')
        .map(([d, b]) => [d, b['status'], b['note']]),
    ).toEqual([
      ['bob-1', 'away', 'lunch'],
      ['bob-2', 'away', 'lunch'],
      ['carol-1', 'away', 'lunch'],
    ]);
    expect(ctx.bus.statusChanges()).toEqual([
      expect.objectContaining({ aor: ALICE, status: 'away', note: 'lunch' }),
    ]);
  });

  it('shows invisible as offline and announces nothing when the aggregate does not change', async () => {
    const ctx = setUp();
    await friends(ctx, ALICE, 'alice-1', BOB, 'bob-1');
    await ctx.command(ALICE, 'alice-1', { type: 'presence.set', status: 'online' });
    ctx.bus.clear();
    await ctx.command(ALICE, 'alice-1', { type: 'presence.set', status: 'invisible' });
    expect(ctx.bus.statusChanges().map((e) => e.status)).toEqual(['offline']);
    ctx.bus.clear();
    await ctx.service.sessionEnded({
      v: 1,
      type: 'auth.session-ended',
      at: '2026-01-02T05:00:00.000Z',
      aor: ALICE,
      deviceId: 'alice-1',
      carrier: 'INFO',
      reason: 'logout',
    });
    expect(ctx.bus.statusChanges()).toEqual([]);
  });

  it('counts a registered plain SIP device as online until it unregisters', async () => {
    const ctx = setUp();
    await ctx.service.deviceRegistered({
      v: 1,
      type: 'auth.device-registered',
      at: AT,
      aor: CAROL,
      deviceId: 'soft',
      contact: 'sip:c@127.0.0.1',
      edgeId: 'edge-0',
      flowId: 'udp:x',
      transport: 'udp',
      expiresAt: AT,
      created: true,
    });
    await ctx.service.deviceUnregistered({
      v: 1,
      type: 'auth.device-unregistered',
      at: '2026-01-02T04:00:00.000Z',
      aor: CAROL,
      deviceId: 'soft',
      reason: 'expired',
    });
    expect(ctx.bus.statusChanges().map((e) => e.status)).toEqual(['online', 'offline']);
  });

  it('stamps an aggregate change read after a later-stamped one (another topic) after it, so watchers keep the newest', async () => {
    const ctx = setUp();
    await friends(ctx, BOB, 'bob-1', ALICE, 'alice-1');
    ctx.bus.clear();
    const session = { v: 1, type: 'auth.session-started', aor: ALICE, carrier: 'INFO' } as const;
    await ctx.service.sessionStarted({
      ...session,
      at: '2026-01-02T04:00:00.000Z',
      deviceId: 'alice-0',
      status: 'online',
    });
    // alice-1 logged in busy at 04:10, but its session-started is read only after alice-0's
    // unregistration of 04:20 (auth.device-unregistered, another topic).
    await ctx.service.deviceUnregistered({
      v: 1,
      type: 'auth.device-unregistered',
      at: '2026-01-02T04:20:00.000Z',
      aor: ALICE,
      deviceId: 'alice-0',
      reason: 'expired',
    });
    await ctx.service.sessionStarted({
      ...session,
      at: '2026-01-02T04:10:00.000Z',
      deviceId: 'alice-1',
      status: 'busy',
    });

    const toBob = ctx.bus
      .pushes()
      .filter(([d, b]) => d === 'bob-1' && b['type'] === 'presence' && b['uri'] === ALICE)
      .map(([, b]) => ({ status: b['status'], at: Date.parse(String(b['at'])) }));
    expect(toBob.map((p) => p.status)).toEqual(['online', 'offline', 'busy']);
    const newest = toBob.reduce((latest, p) => (p.at > latest.at ? p : latest));
    expect(newest.status).toBe('busy');
    expect(ctx.bus.statusChanges().at(-1)).toEqual(expect.objectContaining({ status: 'busy' }));
    expect(Date.parse(ctx.bus.statusChanges().at(-1)!.at)).toBeGreaterThan(
      Date.parse('2026-01-02T04:20:00.000Z'),
    );
  });

  it('gives a device at login its roster, then buddies\u2019 presence, then pending requests', async () => {
    const ctx = setUp();
    await friends(ctx, BOB, 'bob-1', ALICE, 'alice-1');
    await ctx.command(CAROL, 'carol-1', { type: 'roster.add', uri: ALICE });
    await ctx.command(BOB, 'bob-1', { type: 'presence.set', status: 'busy' });
    ctx.bus.clear();

    await ctx.service.sessionStarted({
      v: 1,
      type: 'auth.session-started',
      at: AT,
      aor: ALICE,
      deviceId: 'alice-1',
      carrier: 'INFO',
      status: 'online',
    });

    const toAlice = ctx.bus
      .pushes()
      .filter(([d]) => d === 'alice-1')
      .map(([, b]) => b);
    expect(toAlice).toEqual([
      expect.objectContaining({
        type: 'roster',
        buddies: [
          expect.objectContaining({ uri: BOB, state: 'both', status: 'busy' }),
          expect.objectContaining({ uri: CAROL, state: 'pending-in', status: 'offline' }),
        ],
      }),
      expect.objectContaining({ type: 'presence', uri: BOB, status: 'busy' }),
      expect.objectContaining({ type: 'buddy.request', from: CAROL }),
    ]);
  });
});

describe('PresenceService command rules', () => {
  it('processes a command id once and re-sends only the stored result', async () => {
    const ctx = setUp();
    const envelope = { id: 'same', type: 'roster.add', uri: BOB };
    await ctx.command(ALICE, 'alice-1', envelope);
    ctx.bus.clear();
    await ctx.command(ALICE, 'alice-1', envelope);
    expect(types(ctx.bus.pushes())).toEqual([['alice-1', 'roster.add.result']]);
    expect(ctx.bus.pushes()[0][1]).toMatchObject({ re: 'same', ok: true });
  });

  it('re-sends the result a command got when it comes again after its sender’s session ended (a redelivery)', async () => {
    const alice = device(ALICE, 'alice-1');
    const ctx = setUp({ devices: [alice, device(BOB, 'bob-1')] });
    await ctx.command(ALICE, 'alice-1', { id: 'set-1', type: 'presence.set', status: 'away' });
    alice.carrier = 'PLAIN';

    await ctx.command(ALICE, 'alice-1', { id: 'set-1', type: 'presence.set', status: 'away' });

    const results = ctx.bus.pushes().filter(([, body]) => body['type'] === 'presence.set.result');
    expect(results).toHaveLength(2);
    expect(results[1]).toEqual(results[0]);
    expect(results[0][1]).toMatchObject({ re: 'set-1', ok: true });
  });

  it('answers not-logged-in over the command flow to a device without a session, as the command’s one result', async () => {
    const alice = device(ALICE, 'alice-soft', 'PLAIN');
    const ctx = setUp({ devices: [alice] });
    await ctx.command(ALICE, 'alice-soft', { id: 'x', type: 'roster.get' });
    const refusal = [
      'alice-soft',
      expect.objectContaining({
        type: 'roster.get.result',
        re: 'x',
        ok: false,
        error: expect.objectContaining({ code: 'not-logged-in' }),
      }),
    ];
    expect(ctx.bus.pushes()).toEqual([refusal]);
    expect(ctx.idempotency.rows.size).toBe(1);

    // Logged in, the device re-sends the same id: processed once per AOR and id (protocol.md §3),
    // so it gets the same refusal again, and a new id is run.
    alice.carrier = 'INFO';
    await ctx.command(ALICE, 'alice-soft', { id: 'x', type: 'roster.get' });
    await ctx.command(ALICE, 'alice-soft', { id: 'y', type: 'roster.get' });
    const results = ctx.bus.pushes().filter(([, body]) => body['type'] === 'roster.get.result');
    expect(results).toEqual([
      refusal,
      refusal,
      ['alice-soft', expect.objectContaining({ re: 'y', ok: true })],
    ]);
    expect(results[1]).toEqual(results[0]);
  });

  it('answers bad-request to an invalid presence command, and to a command of another service naming its owner', async () => {
    const ctx = setUp();
    await ctx.command(ALICE, 'alice-1', { type: 'presence.set', status: 'offline' });
    await ctx.command(ALICE, 'alice-1', { type: 'im.send', to: BOB, text: 'hi' });
    expect(ctx.bus.pushes()).toEqual([
      [
        'alice-1',
        expect.objectContaining({
          type: 'presence.set.result',
          ok: false,
          error: expect.objectContaining({ code: 'bad-request' }),
        }),
      ],
      [
        'alice-1',
        expect.objectContaining({
          type: 'im.send.result',
          ok: false,
          error: { code: 'bad-request', message: 'im.send is a command of im-router, not of presence' },
        }),
      ],
    ]);
  });
});
