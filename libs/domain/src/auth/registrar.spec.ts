import { computeDigestResponse, ha1, verifyDigestResponse } from '#herald/sip';
import type { DigestCredentials, RegisterRequestedV1 } from '#herald/contracts';
import { AccountService } from './account-service';
import {
  InMemoryAccounts,
  InMemoryBindings,
  InMemoryClaimingRegistrations,
  InMemoryIdempotencyStore,
  InMemoryUnitOfWork,
  RecordingBus,
} from '../../testing/in-memory-auth';
import { Registrar, type RegistrarDependencies } from './registrar';

const DOMAIN = 'herald.example';
const ALICE = 'sip:alice@herald.example';
const DIGEST = { ha1, verifyResponse: verifyDigestResponse };
const MAX_EXPIRES = 7200;
/** A second device of the same user sends from its own address (a UDP address carries one device). */
const SECOND_DEVICE_SOURCE = { address: '127.0.0.1', port: 5080 };
/** bob's own address (asBob's contact), apart from alice's. */
const BOB_SOURCE = { address: '127.0.0.1', port: 5090 };

async function setUp(options: Pick<RegistrarDependencies, 'supersededReason'> = {}) {
  let now = new Date('2026-01-02T03:00:00.000Z');
  const clock = () => now;
  const unitOfWork = new InMemoryUnitOfWork();
  const accounts = new InMemoryAccounts();
  const bindings = new InMemoryBindings(clock);
  const bus = new RecordingBus();
  const provisioning = new AccountService({
    unitOfWork,
    accounts,
    digest: DIGEST,
    sipDomain: DOMAIN,
    now: clock,
  });
  await provisioning.create({ username: 'alice', password: 'wonderland' });
  const skipped: Array<{ txKey: string; lateByMs: number }> = [];
  const idempotency = new InMemoryIdempotencyStore();
  const claimingRegistrations = new InMemoryClaimingRegistrations(idempotency, bindings);
  const registrar = new Registrar({
    unitOfWork,
    idempotency,
    bus,
    accounts,
    registrations: bindings,
    claimingRegistrations,
    digest: DIGEST,
    maxExpiresSeconds: MAX_EXPIRES,
    lateRegisters: { skipped: (request, lateByMs) => skipped.push({ txKey: request.txKey, lateByMs }) },
    now: clock,
    ...options,
  });
  return {
    registrar,
    claimingRegistrations,
    skipped,
    unitOfWork,
    bus,
    bindings,
    provisioning,
    advance: (seconds: number) => (now = new Date(now.getTime() + seconds * 1000)),
  };
}

let txCounter = 0;
function register(
  fields: Partial<RegisterRequestedV1> & {
    password?: string;
    algorithm?: DigestCredentials['algorithm'];
  } = {},
): RegisterRequestedV1 {
  const { password = 'wonderland', algorithm = 'SHA-256', ...rest } = fields;
  const digestFields = {
    nonce: 'n-1',
    nc: '00000001',
    cnonce: 'c-1',
    qop: 'auth',
    uri: 'sip:herald.example',
  };
  const response = computeDigestResponse({
    ...digestFields,
    ha1: ha1(algorithm, 'alice', DOMAIN, password),
    algorithm,
    method: 'REGISTER',
  });
  txCounter += 1;
  return {
    v: 1,
    type: 'sip.register-requested',
    at: '2026-01-02T03:00:00.000Z',
    edgeId: 'edge-0',
    txKey: `tx-${txCounter}`,
    flowId: 'udp:5060:127.0.0.1:5070',
    transport: 'udp',
    source: { address: '127.0.0.1', port: 5070 },
    aor: ALICE,
    callId: 'call-1',
    cseq: txCounter,
    method: 'REGISTER',
    contacts: [{ uri: 'sip:alice@127.0.0.1:5070', expires: 3600, instanceId: '<urn:uuid:a1>' }],
    star: false,
    expires: 3600,
    digest: { ...digestFields, username: 'alice', realm: DOMAIN, response, algorithm, qop: 'auth' },
    ...rest,
  };
}

/** The same REGISTER with bob's credentials, AOR and contact. */
function asBob(request: RegisterRequestedV1): RegisterRequestedV1 {
  const response = computeDigestResponse({
    ...request.digest,
    ha1: ha1(request.digest.algorithm, 'bob', DOMAIN, 'wonderland'),
    method: 'REGISTER',
  });
  return {
    ...request,
    aor: 'sip:bob@herald.example',
    callId: 'call-bob',
    contacts: [{ uri: 'sip:bob@127.0.0.1:5090', expires: 3600 }],
    digest: { ...request.digest, username: 'bob', response },
  };
}

function decisions(bus: RecordingBus) {
  return bus.events('edge.edge-0.outbound.v1');
}

describe('Registrar', () => {
  it.each(['SHA-256', 'MD5'] as const)(
    'binds a device on a correct %s digest and announces it',
    async (algorithm) => {
      const { registrar, bus, bindings } = await setUp();
      await registrar.register(register({ algorithm }));
      expect(decisions(bus)).toEqual([
        expect.objectContaining({
          type: 'register.decided',
          txKey: expect.any(String),
          status: 200,
          contacts: [{ uri: 'sip:alice@127.0.0.1:5070', expires: 3600 }],
        }),
      ]);
      expect(bus.events('auth.device-registered.v1')).toEqual([
        expect.objectContaining({ aor: ALICE, deviceId: '<urn:uuid:a1>', created: true, edgeId: 'edge-0' }),
      ]);
      expect([...bindings.registrations.values()].map((r) => r.deviceId)).toEqual(['<urn:uuid:a1>']);
    },
  );

  it('keeps the Contact parameters of a binding and lists them in every later 200 (RFC 5626 §4.2)', async () => {
    const { registrar, bus, bindings } = await setUp();
    const params = ';+sip.instance="<urn:uuid:a1>";reg-id=1';
    const uri = 'sip:alice@127.0.0.1:5070;transport=udp;ob';
    await registrar.register(
      register({ contacts: [{ uri, expires: 3600, instanceId: '<urn:uuid:a1>', params }] }),
    );
    expect([...bindings.registrations.values()]).toEqual([
      expect.objectContaining({ contact: uri, contactParams: params }),
    ]);
    // Another device's REGISTER lists the first binding as it was registered.
    await registrar.register(
      register({
        callId: 'call-2',
        source: SECOND_DEVICE_SOURCE,
        contacts: [{ uri: 'sip:alice@127.0.0.1:5080', expires: 600 }],
      }),
    );
    expect(decisions(bus).map((decision) => decision['contacts'])).toEqual([
      [{ uri, expires: 3600, params }],
      expect.arrayContaining([
        { uri, expires: 3600, params },
        { uri: 'sip:alice@127.0.0.1:5080', expires: 600 },
      ]),
    ]);
  });

  it('answers 401 to a wrong password or an unknown user and binds nothing', async () => {
    const { registrar, bus, bindings } = await setUp();
    await registrar.register(register({ password: 'wrong-one' }));
    const unknown = register();
    await registrar.register({ ...unknown, digest: { ...unknown.digest, username: 'mallory' } });
    expect(decisions(bus).map((d) => d['status'])).toEqual([401, 401]);
    expect(bindings.registrations.size).toBe(0);
    expect(bus.events('auth.device-registered.v1')).toEqual([]);
  });

  it('answers 403 to a disabled account with a correct digest', async () => {
    const { registrar, bus, provisioning } = await setUp();
    await provisioning.setDisabled('alice', true);
    await registrar.register(register());
    expect(decisions(bus)).toEqual([expect.objectContaining({ status: 403 })]);
  });

  it('refreshes a binding without announcing it again, and clamps the expiry to the maximum', async () => {
    const { registrar, bus, bindings, advance } = await setUp();
    await registrar.register(register());
    advance(60);
    await registrar.register(
      register({
        contacts: [{ uri: 'sip:alice@127.0.0.1:5070', expires: 99999, instanceId: '<urn:uuid:a1>' }],
        flowId: 'udp:5060:127.0.0.1:5071',
      }),
    );
    expect(decisions(bus)[1]).toMatchObject({ status: 200, contacts: [{ expires: MAX_EXPIRES }] });
    // A refresh is only the decision: presence and im-router act on new bindings alone.
    expect(bus.publishCalls[1]!.map((record) => record.topic)).toEqual(['edge.edge-0.outbound.v1']);
    expect(bus.events('auth.device-registered.v1').map((e) => e['created'])).toEqual([true]);
    expect([...bindings.registrations.values()]).toEqual([
      expect.objectContaining({
        flowId: 'udp:5060:127.0.0.1:5071',
        expiresAt: new Date(Date.parse('2026-01-02T03:01:00.000Z') + MAX_EXPIRES * 1000),
      }),
    ]);
  });

  it('decides REGISTERs of several users handled together in one transaction and one publish', async () => {
    const { registrar, bus, bindings, provisioning, unitOfWork } = await setUp();
    await provisioning.create({ username: 'bob', password: 'wonderland' });
    const transactionsBefore = unitOfWork.transactions;
    const first = registrar.register(register());
    // Submitted while the first is being decided: they form the next group.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // bob from his own address: one from alice's would supersede her binding (a UDP address carries one device).
    const grouped = [
      registrar.register(register({ password: 'wrong-one' })),
      registrar.register(asBob(register({ cseq: 1, source: BOB_SOURCE, flowId: 'udp:5060:127.0.0.1:5090' }))),
    ];
    await Promise.all([first, ...grouped]);
    expect(unitOfWork.transactions - transactionsBefore).toBe(2);
    expect(bus.publishCalls.map((call) => call.map((record) => record.topic))).toEqual([
      ['edge.edge-0.outbound.v1', 'auth.device-registered.v1'],
      ['edge.edge-0.outbound.v1', 'edge.edge-0.outbound.v1', 'auth.device-registered.v1'],
    ]);
    expect(decisions(bus).map((d) => [d['aor'], d['status']])).toEqual([
      [ALICE, 200],
      [ALICE, 401],
      ['sip:bob@herald.example', 200],
    ]);
    expect(bindings.registrations.size).toBe(2);
  });

  it('decides two REGISTERs of one AOR in one group one after the other, in order', async () => {
    const { registrar, bus, bindings } = await setUp();
    const first = registrar.register(register({ cseq: 1 }));
    const grouped = [
      registrar.register(
        register({
          cseq: 2,
          source: SECOND_DEVICE_SOURCE,
          contacts: [{ uri: 'sip:alice@127.0.0.1:5080', expires: 600 }],
        }),
      ),
      registrar.register(register({ cseq: 3, contacts: [{ uri: 'sip:alice@127.0.0.1:5080', expires: 0 }] })),
    ];
    await Promise.all([first, ...grouped]);
    expect(decisions(bus).map((d) => [d['status'], (d['contacts'] as unknown[]).length])).toEqual([
      [200, 1],
      [200, 2],
      [200, 1],
    ]);
    expect([...bindings.registrations.values()].map((r) => r.deviceId)).toEqual(['<urn:uuid:a1>']);
  });

  it('removes one binding with expires 0 and all with *, ending their sessions', async () => {
    const { registrar, bus, bindings } = await setUp();
    const tx = {} as never;
    await registrar.register(register());
    await registrar.register(
      register({
        contacts: [{ uri: 'sip:alice@127.0.0.1:5080', expires: 600 }],
        flowId: 'tcp:1',
        transport: 'tcp',
        source: SECOND_DEVICE_SOURCE,
      }),
    );
    await bindings.sessionRepository.save(tx, {
      aor: ALICE,
      deviceId: '<urn:uuid:a1>',
      carrier: 'INFO',
      status: 'online',
      startedAt: new Date(),
    });
    await registrar.register(
      register({ contacts: [{ uri: 'sip:alice@127.0.0.1:5080', expires: 0 }], expires: 0 }),
    );
    expect(decisions(bus)[2]).toMatchObject({ status: 200, contacts: [{ uri: 'sip:alice@127.0.0.1:5070' }] });
    await registrar.register(register({ contacts: [], star: true, expires: 0 }));
    expect(decisions(bus)[3]).toMatchObject({ status: 200, contacts: [] });
    expect(bus.events('auth.device-unregistered.v1').map((e) => [e['deviceId'], e['reason']])).toEqual([
      ['sip:alice@127.0.0.1:5080', 'unregister'],
      ['<urn:uuid:a1>', 'unregister'],
    ]);
    expect(bus.events('auth.session-ended.v1')).toEqual([
      expect.objectContaining({ deviceId: '<urn:uuid:a1>', reason: 'unregistered', carrier: 'INFO' }),
    ]);
    expect(bindings.registrations.size).toBe(0);
  });

  it('claims and saves in one step unless the REGISTER removes a binding', async () => {
    const { registrar, bindings, claimingRegistrations } = await setUp();
    await registrar.register(register());
    await registrar.register(register());
    expect(claimingRegistrations.calls).toBe(2);
    await registrar.register(register({ contacts: [], star: true, expires: 0 }));
    expect(claimingRegistrations.calls).toBe(2);
    expect(bindings.registrations.size).toBe(0);
  });

  it('answers a REGISTER without contacts with the current bindings and changes nothing', async () => {
    const { registrar, bus, bindings } = await setUp();
    await registrar.register(register());
    await registrar.register(register({ contacts: [] }));
    expect(decisions(bus)[1]).toMatchObject({ status: 200, contacts: [{ uri: 'sip:alice@127.0.0.1:5070' }] });
    expect(bus.events('auth.device-registered.v1')).toHaveLength(1);
    expect(bindings.registrations.size).toBe(1);
  });

  it('refuses an out-of-order CSeq of the same Call-ID (RFC 3261 10.3 step 6)', async () => {
    const { registrar, bus } = await setUp();
    await registrar.register(register({ cseq: 10 }));
    await registrar.register(register({ cseq: 9 }));
    expect(decisions(bus).map((d) => d['status'])).toEqual([200, 500]);
  });

  it('refuses an out-of-order CSeq for the bindings it names only: live ones, `*` naming all', async () => {
    const { registrar, bus, advance } = await setUp();
    await registrar.register(register({ cseq: 10 }));
    const otherDevice = [{ uri: 'sip:alice@127.0.0.1:5071', expires: 3600, instanceId: '<urn:uuid:a2>' }];
    await registrar.register(register({ cseq: 10, contacts: otherDevice }));
    await registrar.register(register({ cseq: 10, contacts: [], star: true, expires: 0 }));
    await registrar.register(register({ cseq: 11, contacts: otherDevice }));
    advance(3601);
    await registrar.register(register({ cseq: 5, contacts: otherDevice }));
    expect(decisions(bus).map((d) => d['status'])).toEqual([200, 200, 500, 200, 200]);
  });

  it('treats a binding past its expiry as expired before applying a new REGISTER', async () => {
    const { registrar, bus, advance } = await setUp();
    await registrar.register(register());
    advance(3601);
    await registrar.register(register());
    expect(bus.events('auth.device-unregistered.v1')).toEqual([
      expect.objectContaining({ deviceId: '<urn:uuid:a1>', reason: 'expired' }),
    ]);
    expect(bus.events('auth.device-registered.v1').map((e) => e['created'])).toEqual([true, true]);
  });

  it('processes a redelivered REGISTER once: same decision, events not announced again', async () => {
    const { registrar, bus } = await setUp();
    const request = register();
    await registrar.register(request);
    await registrar.register(request);
    expect(decisions(bus)).toHaveLength(2);
    expect(decisions(bus)[1]).toEqual(decisions(bus)[0]);
    expect(bus.events('auth.device-registered.v1')).toHaveLength(1);
  });

  it('publishes the events of a redelivery whose first run failed after its commit', async () => {
    const { registrar, bus } = await setUp();
    const request = register();
    bus.failNext = new Error('broker down');
    await expect(registrar.register(request)).rejects.toThrow('broker down');
    await registrar.register(request);
    expect(decisions(bus)).toEqual([expect.objectContaining({ status: 200 })]);
    expect(bus.events('auth.device-registered.v1')).toHaveLength(1);
  });

  it('announces the removals of a redelivery whose first run failed after its commit', async () => {
    const { registrar, bus, bindings } = await setUp();
    await registrar.register(register());
    const star = register({ contacts: [], star: true, expires: 0 });
    bus.failNext = new Error('broker down');
    await expect(registrar.register(star)).rejects.toThrow('broker down');
    expect(bindings.registrations.size).toBe(0);
    await registrar.register(star);
    expect(bus.events('auth.device-unregistered.v1')).toEqual([
      expect.objectContaining({ deviceId: '<urn:uuid:a1>', reason: 'unregister' }),
    ]);
    await registrar.register(star);
    expect(bus.events('auth.device-unregistered.v1')).toHaveLength(1);
    expect(decisions(bus).map((d) => d['status'])).toEqual([200, 200, 200]);
  });

  it('applies a REGISTER before its deadline', async () => {
    const { registrar, bus, skipped } = await setUp();
    await registrar.register(register({ deadline: '2026-01-02T03:00:00.001Z' }));
    expect(decisions(bus)).toEqual([expect.objectContaining({ status: 200 })]);
    expect(skipped).toEqual([]);
  });

  it('skips a REGISTER past its deadline: no binding, no reply, no event, reported', async () => {
    const { registrar, bus, bindings, skipped } = await setUp();
    const late = register({ deadline: '2026-01-02T02:59:58.500Z' });
    await registrar.register(late);
    expect(bindings.registrations.size).toBe(0);
    expect(bus.records).toEqual([]);
    expect(skipped).toEqual([{ txKey: late.txKey, lateByMs: 1_500 }]);
  });

  it('still re-sends the outputs of a REGISTER decided in time when it is redelivered past its deadline', async () => {
    const { registrar, bus, skipped, advance } = await setUp();
    const request = register({ deadline: '2026-01-02T03:00:05.000Z' });
    bus.failNext = new Error('broker down');
    await expect(registrar.register(request)).rejects.toThrow('broker down');
    advance(10);
    await registrar.register(request);
    expect(bus.events('auth.device-registered.v1')).toHaveLength(1);
    expect(skipped).toEqual([]);
  });
});

describe('Registrar: a UDP address that another device registers from', () => {
  const BOB = 'sip:bob@herald.example';
  /** bob's device on another edge, from the address and port alice's device registered from. */
  const bobFromAlicesAddress = (fields: Partial<RegisterRequestedV1> = {}) =>
    asBob(register({ edgeId: 'edge-1', flowId: 'udp:5062:127.0.0.1:5070', cseq: 1, ...fields }));

  async function aliceLoggedInOverUdp(options: Pick<RegistrarDependencies, 'supersededReason'> = {}) {
    const context = await setUp(options);
    await context.provisioning.create({ username: 'bob', password: 'wonderland' });
    await context.registrar.register(register());
    await context.bindings.sessionRepository.save({} as never, {
      aor: ALICE,
      deviceId: '<urn:uuid:a1>',
      carrier: 'INFO',
      status: 'online',
      startedAt: new Date(),
    });
    return context;
  }

  it("supersedes another user's UDP binding from that address: removed, its session ended as by expiry", async () => {
    const { registrar, bus, bindings } = await aliceLoggedInOverUdp();
    await registrar.register(bobFromAlicesAddress());
    expect(bus.events('edge.edge-1.outbound.v1')).toEqual([
      expect.objectContaining({ aor: BOB, status: 200 }),
    ]);
    expect([...bindings.registrations.values()].map((r) => [r.aor, r.edgeId])).toEqual([[BOB, 'edge-1']]);
    expect(bindings.sessions.size).toBe(0);
    // Presence sees alice's device go offline; im-router stores her IMs for her next login.
    expect(bus.events('auth.session-ended.v1')).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: '<urn:uuid:a1>', reason: 'expired', carrier: 'INFO' }),
    ]);
    expect(bus.events('auth.device-unregistered.v1')).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: '<urn:uuid:a1>', reason: 'superseded' }),
    ]);
    expect(bus.events('auth.device-registered.v1').map((e) => e['aor'])).toEqual([ALICE, BOB]);
  });

  it('announces the removal `expired` while consumers that refuse unknown reasons run (HERALD_AUTH_ANNOUNCE_SUPERSEDED=false)', async () => {
    const { registrar, bus, bindings } = await aliceLoggedInOverUdp({ supersededReason: 'expired' });
    await registrar.register(bobFromAlicesAddress());
    expect([...bindings.registrations.values()].map((r) => r.aor)).toEqual([BOB]);
    expect(bus.events('auth.session-ended.v1')).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: '<urn:uuid:a1>', reason: 'expired' }),
    ]);
    expect(bus.events('auth.device-unregistered.v1')).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: '<urn:uuid:a1>', reason: 'expired' }),
    ]);
  });

  it("supersedes the same user's other device from that address and no longer lists it", async () => {
    const { registrar, bus, bindings } = await aliceLoggedInOverUdp();
    await registrar.register(
      register({ callId: 'call-2', contacts: [{ uri: 'sip:alice@127.0.0.1:5070', expires: 600 }] }),
    );
    expect(decisions(bus)[1]).toMatchObject({
      status: 200,
      contacts: [{ uri: 'sip:alice@127.0.0.1:5070', expires: 600 }],
    });
    expect([...bindings.registrations.values()].map((r) => r.deviceId)).toEqual(['sip:alice@127.0.0.1:5070']);
    expect(bus.events('auth.device-unregistered.v1')).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: '<urn:uuid:a1>', reason: 'superseded' }),
    ]);
  });

  it('keeps a device that refreshes from its own address, and reads no other binding for it', async () => {
    const { registrar, bus, bindings, advance } = await aliceLoggedInOverUdp();
    const lookups = jest.spyOn(bindings, 'listUdpBySources');
    advance(60);
    await registrar.register(register());
    expect(decisions(bus).map((d) => d['status'])).toEqual([200, 200]);
    expect(bindings.registrations.size).toBe(1);
    expect(bindings.sessions.size).toBe(1);
    expect(bus.events('auth.device-unregistered.v1')).toEqual([]);
    expect(lookups).not.toHaveBeenCalled();
  });

  it('leaves TCP and WS bindings from that address alone, and a TCP binding supersedes nothing', async () => {
    const { registrar, bus, bindings, provisioning } = await setUp();
    await provisioning.create({ username: 'bob', password: 'wonderland' });
    await registrar.register(register({ transport: 'tcp', flowId: 'tcp:1' }));
    await registrar.register(bobFromAlicesAddress());
    await registrar.register(
      register({
        transport: 'ws',
        flowId: 'ws:2',
        callId: 'call-2',
        contacts: [{ uri: 'sip:alice@df7jal23ls0d.invalid;transport=ws', expires: 600 }],
      }),
    );
    expect(bindings.registrations.size).toBe(3);
    expect(bus.events('auth.device-unregistered.v1')).toEqual([]);
  });

  it('is not superseded by a REGISTER that fails authentication', async () => {
    const { registrar, bus, bindings } = await aliceLoggedInOverUdp();
    const request = bobFromAlicesAddress();
    await registrar.register({ ...request, digest: { ...request.digest, response: '0'.repeat(64) } });
    expect(bus.events('edge.edge-1.outbound.v1')).toEqual([expect.objectContaining({ status: 401 })]);
    expect([...bindings.registrations.values()].map((r) => r.aor)).toEqual([ALICE]);
    expect(bus.events('auth.device-unregistered.v1')).toEqual([]);
  });

  it('does no binding work for a REGISTER whose digest fails: no binding read, no change, only the 401', async () => {
    const { registrar, bus, bindings } = await aliceLoggedInOverUdp();
    const bindingsBefore = structuredClone([...bindings.registrations.values()]);
    const sessionsBefore = structuredClone([...bindings.sessions.values()]);
    const publishesBefore = bus.publishCalls.length;
    const reads = [jest.spyOn(bindings, 'listByAors'), jest.spyOn(bindings, 'listUdpBySources')];
    const request = bobFromAlicesAddress();
    await registrar.register({ ...request, digest: { ...request.digest, response: '0'.repeat(64) } });
    for (const read of reads) expect(read).not.toHaveBeenCalled();
    expect([...bindings.registrations.values()]).toEqual(bindingsBefore);
    expect([...bindings.sessions.values()]).toEqual(sessionsBefore);
    expect(bus.publishCalls.slice(publishesBefore)).toEqual([
      [expect.objectContaining({ topic: 'edge.edge-1.outbound.v1' })],
    ]);
  });

  it('lets a valid REGISTER supersede from that address when a failed one from it is in the same group', async () => {
    const { registrar, bus, bindings } = await aliceLoggedInOverUdp();
    const first = registrar.register(register({ password: 'wrong-one' }));
    // Submitted while the first is being decided: they form the next group, the failed one first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const failed = bobFromAlicesAddress({ txKey: 'tx-carol' });
    const grouped = [
      registrar.register({
        ...failed,
        aor: 'sip:carol@herald.example',
        contacts: [{ uri: 'sip:carol@127.0.0.1:5070', expires: 3600 }],
        digest: { ...failed.digest, username: 'carol', response: '0'.repeat(64) },
      }),
      registrar.register(bobFromAlicesAddress()),
    ];
    await Promise.all([first, ...grouped]);
    expect(bus.events('edge.edge-1.outbound.v1').map((d) => [d['aor'], d['status']])).toEqual([
      ['sip:carol@herald.example', 401],
      [BOB, 200],
    ]);
    expect([...bindings.registrations.values()].map((r) => r.aor)).toEqual([BOB]);
    expect(bus.events('auth.device-unregistered.v1')).toEqual([
      expect.objectContaining({ aor: ALICE, deviceId: '<urn:uuid:a1>', reason: 'superseded' }),
    ]);
  });
});
