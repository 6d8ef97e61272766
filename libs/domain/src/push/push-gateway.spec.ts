import { RecordingBus } from '../../testing/recording-bus';
import { edgeOutboundV1, imPush, okResult, presencePush, PushEnvelopeSchema } from '#herald/contracts';
import type { Device, DeviceDirectory, DeviceLookupOptions } from './device-directory';
import { PushGateway, RESULT_PUSH_ID_PREFIX, resultPushId, resultRequest } from './push-gateway';

const ALICE = 'sip:alice@herald.example';
const BOB = 'sip:bob@herald.example';
const CAROL = 'sip:carol@herald.example';
const AT = new Date('2026-01-02T03:04:05.000Z');

function device(aor: string, deviceId: string, edgeId: string, carrier: Device['carrier']): Device {
  return {
    aor,
    deviceId,
    edgeId,
    flowId: `udp:5060:127.0.0.1:${deviceId}`,
    contact: `sip:${deviceId}@127.0.0.1`,
    carrier,
  };
}

const aliceDesk = device(ALICE, 'alice-desk', 'edge-0', 'INFO');
const alicePhone = device(ALICE, 'alice-phone', 'edge-1', 'MESSAGE');
const aliceSoftphone = device(ALICE, 'alice-softphone', 'edge-1', 'PLAIN');
const bobDesk = device(BOB, 'bob-desk', 'edge-0', 'INFO');

class InMemoryDeviceDirectory implements DeviceDirectory {
  readonly batchLookups: Array<{ aors: readonly string[]; options?: DeviceLookupOptions }> = [];
  readonly deviceLookups: string[] = [];
  constructor(private readonly devices: readonly Device[]) {}

  async loggedInDevices(aors: readonly string[], options?: DeviceLookupOptions) {
    this.batchLookups.push({ aors, options });
    return new Map(
      aors.map((aor) => [
        aor,
        this.devices.filter(
          (d) => d.aor === aor && (d.carrier !== 'PLAIN' || options?.includePlainSip === true),
        ),
      ]),
    );
  }

  async device(aor: string, deviceId: string) {
    this.deviceLookups.push(deviceId);
    return this.devices.find((d) => d.aor === aor && d.deviceId === deviceId);
  }
}

function setUp(
  devices: readonly Device[] = [aliceDesk, alicePhone, aliceSoftphone, bobDesk],
  plainSipLoginGraceMs?: number,
) {
  const directory = new InMemoryDeviceDirectory(devices);
  const bus = new RecordingBus();
  let counter = 0;
  const gateway = new PushGateway({
    directory,
    bus,
    newPushId: () => `p-${++counter}`,
    now: () => AT,
    plainSipLoginGraceMs,
  });
  return { directory, bus, gateway };
}

function decodedRecords(bus: RecordingBus) {
  return bus.publishCalls.flat().map((record) => ({ ...record, event: edgeOutboundV1.decode(record.value) }));
}

describe('PushGateway', () => {
  it('sends one push.requested per logged-in device of an AOR, on the edge that holds its flow', async () => {
    const { bus, gateway } = setUp();
    const push = presencePush({ uri: BOB, status: 'away', at: AT.toISOString() });

    const sent = await gateway.send([{ origin: 'presence', target: { kind: 'aor', aor: ALICE }, push }]);

    expect(sent.map((s) => s.pushId)).toEqual(['p-1', 'p-2']);
    expect(bus.publishCalls).toHaveLength(1);
    const records = decodedRecords(bus);
    expect(records.map((r) => [r.topic, r.key])).toEqual([
      ['edge.edge-0.outbound.v1', ALICE],
      ['edge.edge-1.outbound.v1', ALICE],
    ]);
    expect(records[0].event).toEqual({
      v: 1,
      type: 'push.requested',
      at: AT.toISOString(),
      pushId: 'p-1',
      origin: 'presence',
      aor: ALICE,
      deviceId: 'alice-desk',
      flowId: aliceDesk.flowId,
      contact: aliceDesk.contact,
      method: 'INFO',
      contentType: 'application/vnd.herald+json',
      body: JSON.stringify({ v: 1, id: 'p-1', ...push }),
      // presence acts on no outcome of a presence push: the edge is asked for none.
      outcomeWanted: false,
    });
    expect(records[1].event).toMatchObject({ deviceId: 'alice-phone', method: 'MESSAGE', pushId: 'p-2' });
  });

  it('asks the edge for the outcome only of a request that wants it', async () => {
    const { bus, gateway } = setUp();
    const im = imPush({ messageId: 'm-1', from: BOB, text: 'hi', sentAt: AT.toISOString(), offline: false });
    await gateway.send([
      {
        origin: 'im-router',
        target: { kind: 'device', aor: ALICE, deviceId: 'alice-desk' },
        push: im,
        outcomeWanted: true,
      },
      resultRequest('im-router', { aor: ALICE, deviceId: 'alice-desk' }, okResult('roster.get', 'c-1')),
    ]);
    expect(
      decodedRecords(bus).map(({ event }) => event.type === 'push.requested' && event.outcomeWanted),
    ).toEqual([undefined, false]);
  });

  it('stamps each copy with its own push id as the envelope id', async () => {
    const { bus, gateway } = setUp();
    await gateway.send([
      {
        origin: 'presence',
        target: { kind: 'aor', aor: ALICE },
        push: presencePush({ uri: BOB, status: 'busy', at: AT.toISOString() }),
      },
    ]);
    for (const { event } of decodedRecords(bus)) {
      if (event.type !== 'push.requested') throw new Error(`unexpected ${event.type}`);
      expect(PushEnvelopeSchema.parse(JSON.parse(event.body))).toMatchObject({
        v: 1,
        id: event.pushId,
        type: 'presence',
      });
    }
  });

  it("gives each device the push id of the request's pushIdFor, also as the envelope's id", async () => {
    const { bus, gateway } = setUp();
    const sent = await gateway.send([
      {
        origin: 'presence',
        target: { kind: 'aor', aor: ALICE },
        push: presencePush({ uri: BOB, status: 'busy', at: AT.toISOString() }),
        pushIdFor: (device) => `x-${device.deviceId}`,
      },
    ]);
    expect(sent.map((push) => push.pushId)).toEqual(['x-alice-desk', 'x-alice-phone']);
    expect(
      decodedRecords(bus).map(
        ({ event }) => event.type === 'push.requested' && [event.pushId, JSON.parse(event.body).id],
      ),
    ).toEqual([
      ['x-alice-desk', 'x-alice-desk'],
      ['x-alice-phone', 'x-alice-phone'],
    ]);
  });

  it('gives the result of a command the same push id every time it reaches a device, and another device another', async () => {
    const { gateway } = setUp();
    const result = okResult('presence.set', 'c-7');
    const pushIdOf = async (device: Device) =>
      (await gateway.send([resultRequest('presence', device, result)])).map((sent) => sent.pushId);
    const first = await pushIdOf(aliceDesk);
    // The command processed again (re-sent, or redelivered after a crash): its result again.
    const again = await pushIdOf(aliceDesk);
    const otherDevice = await pushIdOf(alicePhone);

    expect(first).toEqual([resultPushId(aliceDesk, 'c-7')]);
    expect(first[0]!.startsWith(RESULT_PUSH_ID_PREFIX)).toBe(true);
    expect(again).toEqual(first);
    expect(otherDevice).toEqual([resultPushId(alicePhone, 'c-7')]);
    expect(otherDevice).not.toEqual(first);
    expect(resultPushId(aliceDesk, 'c-8')).not.toBe(first[0]);
  });

  it('fans out to many AORs with one directory lookup and one publish, skipping AORs without devices', async () => {
    const { bus, directory, gateway } = setUp();
    const push = presencePush({ uri: CAROL, status: 'online', at: AT.toISOString() });

    const sent = await gateway.send([
      { origin: 'presence', target: { kind: 'aors', aors: [ALICE, BOB, CAROL, BOB] }, push },
    ]);

    expect(directory.batchLookups).toEqual([
      { aors: [ALICE, BOB, CAROL], options: { includePlainSip: false, plainSipLoginGraceMs: 0 } },
    ]);
    expect(bus.publishCalls).toHaveLength(1);
    expect(sent.map((s) => s.deviceId)).toEqual(['alice-desk', 'alice-phone', 'bob-desk']);
  });

  it('keeps the order of several requests in one publish (login: result, then presence)', async () => {
    const { bus, directory, gateway } = setUp();
    const target = { kind: 'device', aor: ALICE, deviceId: 'alice-desk' } as const;

    const sent = await gateway.send([
      { origin: 'auth', target, push: okResult('login', 'c-1', { user: ALICE, profile: { settings: {} } }) },
      {
        origin: 'presence',
        target,
        push: presencePush({ uri: BOB, status: 'online', at: AT.toISOString() }),
      },
      {
        origin: 'presence',
        target: { kind: 'aor', aor: BOB },
        push: presencePush({ uri: ALICE, status: 'online', at: AT.toISOString() }),
      },
    ]);

    expect(bus.publishCalls).toHaveLength(1);
    expect(sent.map((s) => [s.requestIndex, s.deviceId])).toEqual([
      [0, 'alice-desk'],
      [1, 'alice-desk'],
      [2, 'bob-desk'],
    ]);
    const bodies = decodedRecords(bus).map(({ event }) =>
      event.type === 'push.requested' ? JSON.parse(event.body).type : event.type,
    );
    expect(bodies).toEqual(['login.result', 'presence', 'presence']);
    expect(directory.deviceLookups).toEqual(['alice-desk']);
  });

  it('asks the directory for plain SIP devices past its login grace', async () => {
    const { directory, gateway } = setUp(undefined, 5_000);
    const im = imPush({ messageId: 'm-1', from: BOB, text: 'hi', sentAt: AT.toISOString(), offline: false });

    await gateway.send([
      {
        origin: 'im-router',
        target: { kind: 'aor', aor: ALICE },
        push: im,
        plainText: { text: 'hi', fromUri: BOB },
      },
    ]);

    expect(directory.batchLookups).toEqual([
      { aors: [ALICE], options: { includePlainSip: true, plainSipLoginGraceMs: 5_000 } },
    ]);
  });

  it('sends plain SIP devices the text/plain alternative with the sender as From, and nothing without one', async () => {
    const { bus, directory, gateway } = setUp();
    const im = imPush({ messageId: 'm-1', from: BOB, text: 'hi', sentAt: AT.toISOString(), offline: false });

    const withAlternative = await gateway.send([
      {
        origin: 'im-router',
        target: { kind: 'aor', aor: ALICE },
        push: im,
        plainText: { text: 'hi', fromUri: BOB },
      },
    ]);
    expect(directory.batchLookups.at(-1)?.options).toEqual({
      includePlainSip: true,
      plainSipLoginGraceMs: 0,
    });
    expect(withAlternative.map((s) => [s.deviceId, s.carrier])).toEqual([
      ['alice-desk', 'INFO'],
      ['alice-phone', 'MESSAGE'],
      ['alice-softphone', 'PLAIN'],
    ]);
    expect(decodedRecords(bus)[2].event).toMatchObject({
      deviceId: 'alice-softphone',
      method: 'MESSAGE',
      contentType: 'text/plain;charset=utf-8',
      body: 'hi',
      fromUri: BOB,
    });

    const withoutAlternative = await gateway.send([
      { origin: 'presence', target: { kind: 'device', aor: ALICE, deviceId: 'alice-softphone' }, push: im },
    ]);
    expect(withoutAlternative).toEqual([]);
    expect(bus.publishCalls).toHaveLength(1);
  });

  it('marks the im push of a live IM with its sentAt (the edge times delivery from it), no other push', async () => {
    const { bus, gateway } = setUp([aliceDesk, aliceSoftphone]);
    const live = imPush({
      messageId: 'm-1',
      from: BOB,
      text: 'hi',
      sentAt: AT.toISOString(),
      offline: false,
    });
    const stored = imPush({ ...live, messageId: 'm-2', offline: true });
    await gateway.send([
      {
        origin: 'im-router',
        target: { kind: 'aor', aor: ALICE },
        push: live,
        plainText: { text: 'hi', fromUri: BOB },
      },
      { origin: 'im-router', target: { kind: 'aor', aor: ALICE }, push: stored },
      {
        origin: 'im-router',
        target: { kind: 'aor', aor: ALICE },
        push: okResult('im.send', 'c-1', { messageId: 'm-1' }),
      },
    ]);
    expect(
      decodedRecords(bus).map(({ event }) => [
        event.type,
        'liveImSentAt' in event ? event.liveImSentAt : undefined,
      ]),
    ).toEqual([
      ['push.requested', AT.toISOString()],
      // The plain SIP device's text/plain MESSAGE is not an envelope: not timed, as before.
      ['push.requested', undefined],
      ['push.requested', undefined],
      ['push.requested', undefined],
    ]);
  });

  it('sends nothing and publishes nothing for an unknown device', async () => {
    const { bus, gateway } = setUp();
    const sent = await gateway.send([
      {
        origin: 'auth',
        target: { kind: 'device', aor: ALICE, deviceId: 'gone' },
        push: okResult('logout', 'c-9'),
      },
    ]);
    expect(sent).toEqual([]);
    expect(bus.publishCalls).toEqual([]);
  });

  it('propagates a bus failure so the caller does not commit', async () => {
    const { bus, gateway } = setUp();
    const failure = new Error('broker down');
    bus.publish = () => Promise.reject(failure);
    await expect(
      gateway.send([
        { origin: 'auth', target: { kind: 'aor', aor: BOB }, push: okResult('roster.get', 'c-2') },
      ]),
    ).rejects.toBe(failure);
  });
});
