import type { ConsumedRecord } from '#herald/bus';
import {
  AUTH_DEVICE_REGISTERED_V1,
  AUTH_SESSION_STARTED_V1,
  commandReceivedV1,
  deviceRegisteredV1,
  pushOutcomeV1,
  SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
  SIP_COMMAND_RECEIVED_V1,
  SIP_PUSH_OUTCOME_IM_ROUTER_V1,
  SIP_PUSH_OUTCOME_V1,
  sessionStartedV1,
} from '#herald/contracts';
import type { ImRouter } from '#herald/domain';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IM_ROUTER_TOPICS, ImRouterRecordHandler, UnexpectedTopicError } from './im-router.records';

const FIXTURES = join(__dirname, '../../../libs/contracts/fixtures');
const fixture = (topicDir: string, name: string) => readFileSync(join(FIXTURES, topicDir, `${name}.json`));

function record(topic: string, value: Buffer): ConsumedRecord {
  return { topic, key: 'sip:alice@herald.example', value, headers: {}, partition: 0, offset: '7' };
}

/** Records what the consumer asks of the router; `failure` makes every call reject. */
class RouterSpy {
  readonly calls: Array<[string, unknown[]]> = [];
  failure: Error | undefined;
  private call(name: string, args: unknown[]): Promise<void> {
    this.calls.push([name, args]);
    return this.failure ? Promise.reject(this.failure) : Promise.resolve();
  }
  handleCommand = (...args: unknown[]) => this.call('handleCommand', args);
  handleCommands = (...args: unknown[]) => this.call('handleCommands', args);
  settle = (...args: unknown[]) => this.call('settle', args);
  settleAll = (...args: unknown[]) => this.call('settleAll', args);
  deliverStored = (...args: unknown[]) => this.call('deliverStored', args);
  deviceRegistered = (...args: unknown[]) => this.call('deviceRegistered', args);
}

function setUp() {
  const router = new RouterSpy();
  const logged: string[] = [];
  const consumer = new ImRouterRecordHandler(router as unknown as ImRouter, {
    error: ({ topic, partition, offset, reason }, message) =>
      logged.push(`skipped ${topic}[${partition}]@${offset} (${reason}): ${message}`),
  });
  return { router, consumer, logged };
}

describe('ImRouterRecordHandler', () => {
  it('consumes its own commands and push outcomes, session starts, new registrations, and for one release the legacy shared topics', () => {
    expect([...IM_ROUTER_TOPICS].sort()).toEqual(
      [
        AUTH_DEVICE_REGISTERED_V1,
        AUTH_SESSION_STARTED_V1,
        SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
        SIP_PUSH_OUTCOME_IM_ROUTER_V1,
        SIP_COMMAND_RECEIVED_V1,
        SIP_PUSH_OUTCOME_V1,
      ].sort(),
    );
  });

  it('decodes each topic with its contract and awaits the matching domain call', async () => {
    const { router, consumer } = setUp();
    const command = fixture('sip.command-received.v1', 'plain-message');
    const outcome = fixture('sip.push-outcome.im-router.v1', 'im-answered');
    const session = fixture('auth.session-started.v1', 'login-away');
    const registered = fixture('auth.device-registered.v1', 'created');

    await consumer.handle(record(SIP_COMMAND_RECEIVED_IM_ROUTER_V1, command));
    await consumer.handle(record(SIP_PUSH_OUTCOME_IM_ROUTER_V1, outcome));
    await consumer.handle(record(AUTH_SESSION_STARTED_V1, session));
    await consumer.handle(record(AUTH_DEVICE_REGISTERED_V1, registered));

    const started = sessionStartedV1.decode(session);
    expect(router.calls).toEqual([
      ['handleCommand', [commandReceivedV1.decode(command)]],
      ['settle', [pushOutcomeV1.decode(outcome)]],
      ['deliverStored', [started.aor, started.deviceId, new Date(started.at)]],
      ['deviceRegistered', [deviceRegisteredV1.decode(registered)]],
    ]);
  });
  it('hands runs of commands and of push outcomes to the router in one call each, others one by one', async () => {
    const { router, consumer } = setUp();
    const command = fixture('sip.command-received.im-router.v1', 'im-send-over-message');
    const outcome = fixture('sip.push-outcome.im-router.v1', 'im-answered');
    const session = fixture('auth.session-started.v1', 'login-away');

    await consumer.handleRun([
      record(SIP_COMMAND_RECEIVED_IM_ROUTER_V1, command),
      record(SIP_COMMAND_RECEIVED_IM_ROUTER_V1, command),
    ]);
    await consumer.handleRun([
      record(SIP_PUSH_OUTCOME_IM_ROUTER_V1, outcome),
      record(SIP_PUSH_OUTCOME_IM_ROUTER_V1, outcome),
    ]);
    await consumer.handleRun([
      record(AUTH_SESSION_STARTED_V1, session),
      record(AUTH_SESSION_STARTED_V1, session),
    ]);

    const started = sessionStartedV1.decode(session);
    expect(router.calls).toEqual([
      ['handleCommands', [[commandReceivedV1.decode(command), commandReceivedV1.decode(command)]]],
      ['settleAll', [[pushOutcomeV1.decode(outcome), pushOutcomeV1.decode(outcome)]]],
      ['deliverStored', [started.aor, started.deviceId, new Date(started.at)]],
      ['deliverStored', [started.aor, started.deviceId, new Date(started.at)]],
    ]);
  });

  it('acts only on im.send and on outcomes of its own pushes on the legacy topics of older edges, in runs too', async () => {
    const { router, consumer, logged } = setUp();
    const login = fixture('sip.command-received.v1', 'login-over-info');
    const imSend = fixture('sip.command-received.v1', 'plain-message');
    const presenceOutcome = fixture('sip.push-outcome.v1', 'answered');
    const ownOutcome = fixture('sip.push-outcome.v1', 'timed-out');

    await consumer.handle(record(SIP_COMMAND_RECEIVED_V1, login));
    await consumer.handle(record(SIP_PUSH_OUTCOME_V1, presenceOutcome));
    await consumer.handleRun([
      record(SIP_COMMAND_RECEIVED_V1, login),
      record(SIP_COMMAND_RECEIVED_V1, login),
    ]);
    await consumer.handleRun([
      record(SIP_COMMAND_RECEIVED_V1, login),
      record(SIP_COMMAND_RECEIVED_V1, imSend),
      record(SIP_COMMAND_RECEIVED_V1, login),
    ]);
    await consumer.handleRun([
      record(SIP_PUSH_OUTCOME_V1, presenceOutcome),
      record(SIP_PUSH_OUTCOME_V1, ownOutcome),
    ]);

    expect(router.calls).toEqual([
      ['handleCommands', [[commandReceivedV1.decode(imSend)]]],
      ['settleAll', [[pushOutcomeV1.decode(ownOutcome)]]],
    ]);
    expect(logged).toEqual([]);
  });

  it("logs and never acts on another service's command or outcome on its own topics (a routing bug)", async () => {
    const { router, consumer, logged } = setUp();
    await consumer.handle(
      record(SIP_COMMAND_RECEIVED_IM_ROUTER_V1, fixture('sip.command-received.v1', 'login-over-info')),
    );
    await consumer.handleRun([
      record(SIP_PUSH_OUTCOME_IM_ROUTER_V1, fixture('sip.push-outcome.v1', 'answered')),
      record(SIP_PUSH_OUTCOME_IM_ROUTER_V1, fixture('sip.push-outcome.v1', 'timed-out')),
    ]);
    expect(router.calls).toEqual([
      ['settleAll', [[pushOutcomeV1.decode(fixture('sip.push-outcome.v1', 'timed-out'))]]],
    ]);
    expect(logged).toEqual([
      expect.stringMatching(
        /^skipped sip\.command-received\.im-router\.v1\[0\]@7 \(CONTRACT_INVALID_PAYLOAD\):.*login is a command of auth, not of im-router: it belongs on sip\.command-received\.auth\.v1/s,
      ),
      expect.stringMatching(
        /^skipped sip\.push-outcome\.im-router\.v1\[0\]@7 \(CONTRACT_INVALID_PAYLOAD\):.*a push presence requested: it belongs on sip\.push-outcome\.presence\.v1/s,
      ),
    ]);
  });

  it('skips a record that breaks its contract instead of blocking the partition', async () => {
    const { router, consumer, logged } = setUp();
    await expect(
      consumer.handle(record(SIP_PUSH_OUTCOME_IM_ROUTER_V1, Buffer.from('{"v":1}'))),
    ).resolves.toBeUndefined();
    await expect(
      consumer.handle(record(SIP_COMMAND_RECEIVED_IM_ROUTER_V1, Buffer.from('not json'))),
    ).resolves.toBeUndefined();
    expect(router.calls).toEqual([]);
    expect(logged).toEqual([
      expect.stringContaining('sip.push-outcome.im-router.v1[0]@7 (CONTRACT_INVALID_PAYLOAD)'),
      expect.stringContaining('sip.command-received.im-router.v1[0]@7 (CONTRACT_MALFORMED_JSON)'),
    ]);
  });

  it('lets domain failures and unknown topics throw, so the record is retried', async () => {
    const { router, consumer } = setUp();
    router.failure = new Error('database down');
    await expect(
      consumer.handle(
        record(SIP_PUSH_OUTCOME_IM_ROUTER_V1, fixture('sip.push-outcome.im-router.v1', 'im-answered')),
      ),
    ).rejects.toBe(router.failure);
    await expect(
      consumer.handle(record('presence.status-changed.v1', Buffer.from('{}'))),
    ).rejects.toBeInstanceOf(UnexpectedTopicError);
  });
});
