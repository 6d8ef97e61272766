import type { ConsumedRecord, SkippedRecordFields } from '#herald/bus';
import {
  AUTH_DEVICE_REGISTERED_V1,
  AUTH_DEVICE_UNREGISTERED_V1,
  AUTH_SESSION_ENDED_V1,
  AUTH_SESSION_STARTED_V1,
  deviceUnregisteredV1,
  publishRequestedV1,
  sessionStartedV1,
  SIP_COMMAND_RECEIVED_PRESENCE_V1,
  SIP_COMMAND_RECEIVED_V1,
  SIP_PUBLISH_REQUESTED_V1,
  SIP_PUSH_OUTCOME_PRESENCE_V1,
  SIP_PUSH_OUTCOME_V1,
  SIP_SUBSCRIBE_REQUESTED_V1,
} from '#herald/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRESENCE_TOPICS, type PresenceEventHandlers, PresenceRecordHandler } from './presence.records';

const FIXTURES = join(__dirname, '../../../libs/contracts/fixtures');
/** A record of `topic` holding the contract fixture at `path`. */
const fixtureOn = (topic: string, path: string) =>
  consumed({ topic, key: ALICE, value: readFileSync(join(FIXTURES, path)) });
const pushIdOrCommandId = (event: unknown) =>
  (event as { pushId?: string }).pushId ?? (event as { envelope: { id: string } }).envelope.id;

const ALICE = 'sip:alice@herald.example';

function consumed(record: { topic: string; key: string; value: Buffer }): ConsumedRecord {
  return { ...record, headers: {}, partition: 0, offset: '7' };
}

function setUp() {
  const calls: Array<[string, unknown]> = [];
  const record = (name: string) => async (event: unknown) => {
    calls.push([name, event]);
  };
  const handlers: PresenceEventHandlers = {
    handleCommand: record('handleCommand'),
    sessionStarted: record('sessionStarted'),
    sessionEnded: record('sessionEnded'),
    deviceRegistered: record('deviceRegistered'),
    deviceUnregistered: record('deviceUnregistered'),
    publish: record('publish'),
    subscribe: record('subscribe'),
    notifyOutcome: record('notifyOutcome'),
  };
  const errors: string[] = [];
  const logger = {
    error: (fields: SkippedRecordFields, message: string) => errors.push(`${fields.reason}: ${message}`),
  };
  return { calls, errors, handler: new PresenceRecordHandler(handlers, logger) };
}

describe('PresenceRecordHandler', () => {
  it("consumes its own commands and outcomes, PUBLISH, SUBSCRIBE, auth's events, and for one release the legacy shared topics", () => {
    expect([...PRESENCE_TOPICS].sort()).toEqual(
      [
        SIP_COMMAND_RECEIVED_PRESENCE_V1,
        SIP_PUSH_OUTCOME_PRESENCE_V1,
        SIP_PUBLISH_REQUESTED_V1,
        SIP_SUBSCRIBE_REQUESTED_V1,
        AUTH_DEVICE_REGISTERED_V1,
        AUTH_DEVICE_UNREGISTERED_V1,
        AUTH_SESSION_STARTED_V1,
        AUTH_SESSION_ENDED_V1,
        SIP_COMMAND_RECEIVED_V1,
        SIP_PUSH_OUTCOME_V1,
      ].sort(),
    );
  });

  it('hands its commands and the outcomes of its pushes to the domain', async () => {
    const { calls, handler } = setUp();
    await handler.handle(
      fixtureOn(SIP_COMMAND_RECEIVED_PRESENCE_V1, 'sip.command-received.presence.v1/roster-add.json'),
    );
    await handler.handle(
      fixtureOn(SIP_PUSH_OUTCOME_PRESENCE_V1, 'sip.push-outcome.presence.v1/notify-answered.json'),
    );
    expect(calls.map(([name, event]) => [name, pushIdOrCommandId(event)])).toEqual([
      ['handleCommand', 'c-2'],
      ['notifyOutcome', 'p-0012'],
    ]);
  });

  it('acts on the legacy topics of older edges only on its own commands and the outcomes of its pushes', async () => {
    const { calls, errors, handler } = setUp();
    await handler.handle(fixtureOn(SIP_COMMAND_RECEIVED_V1, 'sip.command-received.v1/login-over-info.json'));
    await handler.handle(
      fixtureOn(SIP_COMMAND_RECEIVED_V1, 'sip.command-received.presence.v1/roster-add.json'),
    );
    await handler.handle(fixtureOn(SIP_COMMAND_RECEIVED_V1, 'sip.command-received.v1/plain-message.json'));
    await handler.handle(fixtureOn(SIP_PUSH_OUTCOME_V1, 'sip.push-outcome.v1/notify-failed.json'));
    await handler.handle(fixtureOn(SIP_PUSH_OUTCOME_V1, 'sip.push-outcome.v1/timed-out.json'));
    expect(calls.map(([name, event]) => [name, pushIdOrCommandId(event)])).toEqual([
      ['handleCommand', 'c-2'],
      ['notifyOutcome', 'p-0009'],
    ]);
    expect(errors).toEqual([]);
  });

  it("logs and never acts on another service's command or outcome on its own topics (a routing bug)", async () => {
    const { calls, errors, handler } = setUp();
    await handler.handle(
      fixtureOn(SIP_COMMAND_RECEIVED_PRESENCE_V1, 'sip.command-received.v1/plain-message.json'),
    );
    await handler.handle(fixtureOn(SIP_PUSH_OUTCOME_PRESENCE_V1, 'sip.push-outcome.v1/timed-out.json'));
    expect(calls).toEqual([]);
    expect(errors).toEqual([
      expect.stringMatching(/CONTRACT_INVALID_PAYLOAD.*im\.send is a command of im-router, not of presence/s),
      expect.stringMatching(
        /CONTRACT_INVALID_PAYLOAD.*a push im-router requested: it belongs on sip\.push-outcome\.im-router\.v1/s,
      ),
    ]);
  });

  it('decodes each topic with its contract and awaits the matching domain call', async () => {
    const { calls, handler } = setUp();
    const started = sessionStartedV1.build({ aor: ALICE, deviceId: 'd1', carrier: 'INFO', status: 'away' });
    const gone = deviceUnregisteredV1.build({ aor: ALICE, deviceId: 'd1', reason: 'expired' });
    const published = publishRequestedV1.build({
      edgeId: 'edge-0',
      txKey: 'tx-1',
      flowId: 'udp:5060:127.0.0.1:5070',
      aor: ALICE,
      deviceId: 'd2',
      callId: 'c-1',
      expires: 60,
      state: { basic: 'closed' },
      deadline: new Date().toISOString(),
    });

    await handler.handle(consumed(sessionStartedV1.record(started)));
    await handler.handle(consumed(deviceUnregisteredV1.record(gone)));
    await handler.handle(consumed(publishRequestedV1.record(published)));

    expect(calls).toEqual([
      ['sessionStarted', started],
      ['deviceUnregistered', gone],
      ['publish', published],
    ]);
  });

  it('acts on a removal, session end or registration carrying a reason or transport a later release added (rolling upgrade)', async () => {
    const { calls, errors, handler } = setUp();
    const newer = (path: string, field: string) => {
      const event = { ...JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')), [field]: 'added-later' };
      return { event, value: Buffer.from(JSON.stringify(event)) };
    };
    const gone = newer('auth.device-unregistered.v1/superseded.json', 'reason');
    const ended = newer('auth.session-ended.v1/logout.json', 'reason');
    const registered = newer('auth.device-registered.v1/created.json', 'transport');

    await handler.handle(consumed({ topic: AUTH_DEVICE_UNREGISTERED_V1, key: ALICE, value: gone.value }));
    await handler.handle(consumed({ topic: AUTH_SESSION_ENDED_V1, key: ALICE, value: ended.value }));
    await handler.handle(consumed({ topic: AUTH_DEVICE_REGISTERED_V1, key: ALICE, value: registered.value }));

    expect(errors).toEqual([]);
    expect(calls).toEqual([
      ['deviceUnregistered', gone.event],
      ['sessionEnded', ended.event],
      ['deviceRegistered', registered.event],
    ]);
  });

  it('logs and skips a record that breaks its contract (a retry could never fix it)', async () => {
    const { calls, errors, handler } = setUp();
    await handler.handle(
      consumed({ topic: SIP_COMMAND_RECEIVED_PRESENCE_V1, key: ALICE, value: Buffer.from('{"v":1}') }),
    );
    expect(calls).toEqual([]);
    expect(errors).toEqual([expect.stringContaining('CONTRACT_INVALID_PAYLOAD')]);
  });

  it('propagates a domain failure so the record is retried', async () => {
    const { handler } = setUp();
    const failure = new Error('database down');
    const failing = new PresenceRecordHandler(
      {
        handleCommand: () => Promise.reject(failure),
        sessionStarted: () => Promise.reject(failure),
        sessionEnded: () => Promise.reject(failure),
        deviceRegistered: () => Promise.reject(failure),
        deviceUnregistered: () => Promise.reject(failure),
        publish: () => Promise.reject(failure),
        subscribe: () => Promise.reject(failure),
        notifyOutcome: () => Promise.reject(failure),
      },
      { error: () => {} },
    );
    const started = sessionStartedV1.build({ aor: ALICE, deviceId: 'd1', carrier: 'INFO', status: 'online' });
    await expect(failing.handle(consumed(sessionStartedV1.record(started)))).rejects.toBe(failure);
    await expect(
      handler.handle(consumed({ topic: 'other.v1', key: ALICE, value: Buffer.from('{}') })),
    ).rejects.toMatchObject({
      code: 'PRESENCE_UNEXPECTED_TOPIC',
    });
  });
});
