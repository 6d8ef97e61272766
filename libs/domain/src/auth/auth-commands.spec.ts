import type { CommandReceivedV1 } from '#herald/contracts';
import { ha1, verifyDigestResponse } from '#herald/sip';
import { AccountService } from './account-service';
import { AuthCommandService } from './auth-commands';
import {
  InMemoryAccounts,
  InMemoryBindings,
  InMemoryIdempotencyStore,
  InMemoryUnitOfWork,
  RecordingBus,
} from '../../testing/in-memory-auth';

const ALICE = 'sip:alice@herald.example';
const DEVICE = '<urn:uuid:a1>';
const NOW = new Date('2026-01-02T03:00:00.000Z');
const tx = {} as never;

async function setUp() {
  const unitOfWork = new InMemoryUnitOfWork();
  const accounts = new InMemoryAccounts();
  const bindings = new InMemoryBindings(() => NOW);
  const bus = new RecordingBus();
  const digest = { ha1, verifyResponse: verifyDigestResponse };
  await new AccountService({ unitOfWork, accounts, digest, sipDomain: 'herald.example' }).create({
    username: 'alice',
    password: 'wonderland',
    displayName: 'Alice',
  });
  for (const deviceId of [DEVICE, 'phone']) {
    await bindings.save(tx, {
      aor: ALICE,
      deviceId,
      contact: `sip:alice@127.0.0.1;d=${deviceId}`,
      edgeId: 'edge-0',
      flowId: `flow-${deviceId}`,
      transport: 'udp',
      source: { address: '127.0.0.1', port: 5070 },
      callId: 'c',
      cseq: 1,
      expiresAt: new Date(NOW.getTime() + 3600_000),
    });
  }
  const service = new AuthCommandService({
    unitOfWork,
    idempotency: new InMemoryIdempotencyStore(),
    bus,
    accounts,
    registrations: bindings,
    sessions: bindings.sessionRepository,
    directory: bindings,
    now: () => NOW,
  });
  return { service, bus, bindings };
}

function command(
  envelope: Record<string, unknown>,
  deviceId = DEVICE,
  carrier: 'INFO' | 'MESSAGE' = 'INFO',
): CommandReceivedV1 {
  return {
    v: 1,
    type: 'sip.command-received',
    at: NOW.toISOString(),
    edgeId: 'edge-0',
    flowId: `flow-${deviceId}`,
    deviceId,
    contact: `sip:alice@127.0.0.1;d=${deviceId}`,
    aor: ALICE,
    carrier,
    callId: 'call-1',
    receivedAt: NOW.toISOString(),
    envelope: { v: 1, ...envelope } as CommandReceivedV1['envelope'],
  };
}

describe('AuthCommandService', () => {
  it('logs a device in: login.result with user and profile, then session-started', async () => {
    const { service, bus, bindings } = await setUp();
    await service.handle(
      command({ id: 'c-1', type: 'login', status: 'away', note: 'lunch' }, DEVICE, 'MESSAGE'),
    );
    expect(bus.pushBodies(DEVICE)).toEqual([
      {
        v: 1,
        id: expect.any(String),
        type: 'login.result',
        re: 'c-1',
        ok: true,
        user: ALICE,
        profile: { displayName: 'Alice', settings: {} },
      },
    ]);
    expect(bus.events('auth.session-started.v1')).toEqual([
      expect.objectContaining({
        aor: ALICE,
        deviceId: DEVICE,
        carrier: 'MESSAGE',
        status: 'away',
        note: 'lunch',
      }),
    ]);
    expect(await bindings.sessionRepository.find(tx, ALICE, DEVICE)).toMatchObject({ carrier: 'MESSAGE' });
    // The result went out on the edge that holds the device's flow, with the carrier it logged in with.
    expect(bus.records[0].topic).toBe('edge.edge-0.outbound.v1');
  });

  it.each(['logout', 'profile.get', 'profile.set'])(
    'answers %s without a session with not-logged-in',
    async (type) => {
      const { service, bus } = await setUp();
      await service.handle(command({ id: 'c-2', type }));
      expect(bus.pushBodies(DEVICE)).toEqual([
        expect.objectContaining({
          type: `${type}.result`,
          re: 'c-2',
          ok: false,
          error: expect.objectContaining({ code: 'not-logged-in' }),
        }),
      ]);
    },
  );

  it('logs out: logout.result reaches the device, then session-ended', async () => {
    const { service, bus, bindings } = await setUp();
    await service.handle(command({ id: 'c-1', type: 'login' }));
    await service.handle(command({ id: 'c-2', type: 'logout' }));
    expect(bus.pushBodies(DEVICE).map((p) => [p['type'], p['ok']])).toEqual([
      ['login.result', true],
      ['logout.result', true],
    ]);
    expect(bus.events('auth.session-ended.v1')).toEqual([
      expect.objectContaining({ deviceId: DEVICE, reason: 'logout', carrier: 'INFO' }),
    ]);
    expect(await bindings.sessionRepository.find(tx, ALICE, DEVICE)).toBeUndefined();
  });

  it('profile.get pushes profile then the result; profile.set updates every logged-in device', async () => {
    const { service, bus } = await setUp();
    await service.handle(command({ id: 'c-1', type: 'login' }));
    await service.handle(command({ id: 'p-1', type: 'login' }, 'phone'));
    await service.handle(command({ id: 'c-2', type: 'profile.get' }));
    await service.handle(command({ id: 'c-3', type: 'profile.set', settings: { theme: 'dark' } }));
    expect(bus.pushBodies(DEVICE).map((p) => p['type'])).toEqual([
      'login.result',
      'profile',
      'profile.get.result',
      'profile',
      'profile.set.result',
    ]);
    expect(bus.pushBodies('phone').map((p) => p['type'])).toEqual(['login.result', 'profile']);
    expect(bus.pushBodies('phone')[1]).toMatchObject({ displayName: 'Alice', settings: { theme: 'dark' } });
  });

  it('answers unknown types (even before login), and the types other services own naming their owner', async () => {
    const { service, bus } = await setUp();
    await service.handle(command({ id: 'u-1', type: 'teleport' }));
    await service.handle(command({ id: 'r-1', type: 'roster.get' }));
    await service.handle(command({ id: 'i-1', type: 'im.send', to: ALICE, text: 'hi' }));
    expect(bus.pushBodies()).toEqual([
      expect.objectContaining({
        type: 'teleport.result',
        re: 'u-1',
        ok: false,
        error: expect.objectContaining({ code: 'unknown-type' }),
      }),
      expect.objectContaining({
        type: 'roster.get.result',
        re: 'r-1',
        ok: false,
        error: { code: 'bad-request', message: 'roster.get is a command of presence, not of auth' },
      }),
      expect.objectContaining({
        type: 'im.send.result',
        re: 'i-1',
        ok: false,
        error: { code: 'bad-request', message: 'im.send is a command of im-router, not of auth' },
      }),
    ]);
  });

  it('answers invalid fields of its own types with the contract code', async () => {
    const { service, bus } = await setUp();
    await service.handle(command({ id: 'c-1', type: 'login', note: 'n'.repeat(300) }));
    expect(bus.pushBodies()).toEqual([
      expect.objectContaining({
        type: 'login.result',
        ok: false,
        error: expect.objectContaining({ code: 'too-large' }),
      }),
    ]);
  });

  it('refuses login from a device that is not registered', async () => {
    const { service, bus } = await setUp();
    await service.handle(command({ id: 'c-1', type: 'login' }, 'ghost'));
    expect(bus.pushBodies('ghost')).toEqual([
      expect.objectContaining({
        type: 'login.result',
        ok: false,
        error: expect.objectContaining({ code: 'not-allowed' }),
      }),
    ]);
    expect(bus.events('auth.session-started.v1')).toEqual([]);
  });

  it('processes a duplicate command id once: the stored result is re-sent, nothing else', async () => {
    const { service, bus } = await setUp();
    await service.handle(command({ id: 'c-1', type: 'login' }));
    await service.handle(command({ id: 'c-2', type: 'logout' }));
    await service.handle(command({ id: 'c-1', type: 'login' }));
    const results = bus.pushBodies(DEVICE);
    expect(results.map((p) => [p['type'], p['re']])).toEqual([
      ['login.result', 'c-1'],
      ['logout.result', 'c-2'],
      ['login.result', 'c-1'],
    ]);
    expect(bus.events('auth.session-started.v1')).toHaveLength(1);
  });
});
