import type { ConsumedRecord } from '#herald/bus';
import {
  SIP_COMMAND_RECEIVED_AUTH_V1,
  SIP_COMMAND_RECEIVED_V1,
  SIP_REGISTER_REQUESTED_V1,
} from '#herald/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_TOPICS, AuthRecordHandler, UnexpectedTopicError } from './auth.records';
import type { AuthServices } from './auth.services';
import { secretsEqual } from '#herald/observability';

const FIXTURES = join(__dirname, '../../../libs/contracts/fixtures');

function record(topic: string, value: Buffer | string): ConsumedRecord {
  return {
    topic,
    key: 'sip:alice@herald.example',
    value: Buffer.from(value),
    headers: {},
    partition: 0,
    offset: '7',
  };
}

function setUp() {
  const calls: Array<[string, unknown]> = [];
  const services = {
    registrar: { register: async (event: unknown) => void calls.push(['register', event]) },
    commands: { handle: async (event: unknown) => void calls.push(['command', event]) },
  } as unknown as AuthServices;
  const errors: string[] = [];
  const consumer = new AuthRecordHandler(services, {
    error: ({ topic, partition, offset, reason }, message) =>
      errors.push(`skipped ${topic}[${partition}]@${offset} (${reason}): ${message}`),
  });
  return { calls, consumer, services, errors };
}

const fixture = (path: string) => readFileSync(join(FIXTURES, path));
const commandIds = (calls: Array<[string, unknown]>) =>
  calls.map(([kind, event]) => [kind, (event as { envelope?: { id: string } }).envelope?.id]);

describe('AuthRecordHandler', () => {
  it('consumes REGISTERs, its own commands, and for one release the legacy shared command topic', () => {
    expect([...AUTH_TOPICS].sort()).toEqual(
      [SIP_REGISTER_REQUESTED_V1, SIP_COMMAND_RECEIVED_AUTH_V1, SIP_COMMAND_RECEIVED_V1].sort(),
    );
  });

  it('hands decoded REGISTERs and commands to the domain', async () => {
    const { calls, consumer } = setUp();
    const register = fixture('sip.register-requested.v1/first-register.json');
    const login = fixture('sip.command-received.v1/login-over-info.json');
    const unknown = fixture('sip.command-received.auth.v1/unknown-type.json');
    await consumer.handle(record(SIP_REGISTER_REQUESTED_V1, register));
    await consumer.handle(record(SIP_COMMAND_RECEIVED_AUTH_V1, login));
    await consumer.handle(record(SIP_COMMAND_RECEIVED_AUTH_V1, unknown));
    expect(calls.map(([kind, event]) => [kind, (event as { type: string }).type])).toEqual([
      ['register', 'sip.register-requested'],
      ['command', 'sip.command-received'],
      ['command', 'sip.command-received'],
    ]);
    expect(commandIds(calls.slice(1))).toEqual([
      ['command', 'c-1'],
      ['command', 'c-8'],
    ]);
  });

  it('acts on the legacy topic of older edges only on the types it owns or nobody owns', async () => {
    const { calls, consumer, errors } = setUp();
    for (const path of [
      'sip.command-received.v1/login-over-info.json',
      'sip.command-received.v1/plain-message.json',
      'sip.command-received.presence.v1/roster-add.json',
      'sip.command-received.auth.v1/unknown-type.json',
    ]) {
      await consumer.handle(record(SIP_COMMAND_RECEIVED_V1, fixture(path)));
    }
    expect(commandIds(calls)).toEqual([
      ['command', 'c-1'],
      ['command', 'c-8'],
    ]);
    expect(errors).toEqual([]);
  });

  it("logs and never acts on another service's command on its own topic (a routing bug)", async () => {
    const { calls, consumer, errors } = setUp();
    await consumer.handle(
      record(SIP_COMMAND_RECEIVED_AUTH_V1, fixture('sip.command-received.presence.v1/roster-add.json')),
    );
    expect(calls).toEqual([]);
    expect(errors).toEqual([
      expect.stringMatching(
        /^skipped sip\.command-received\.auth\.v1\[0\]@7 \(CONTRACT_INVALID_PAYLOAD\):.*roster\.add is a command of presence, not of auth/s,
      ),
    ]);
  });

  it('skips a record that breaks its contract instead of blocking the partition', async () => {
    const { calls, consumer, errors } = setUp();
    await expect(consumer.handle(record(SIP_REGISTER_REQUESTED_V1, '{"v":1}'))).resolves.toBeUndefined();
    await expect(consumer.handle(record(SIP_COMMAND_RECEIVED_AUTH_V1, 'not json'))).resolves.toBeUndefined();
    expect(calls).toEqual([]);
    expect(errors).toEqual([
      expect.stringContaining('CONTRACT_INVALID_PAYLOAD'),
      expect.stringContaining('CONTRACT_MALFORMED_JSON'),
    ]);
  });

  it('lets domain failures and unknown topics throw, so the record is retried', async () => {
    const { consumer, services } = setUp();
    const failure = new Error('database down');
    services.registrar.register = () => Promise.reject(failure);
    const register = fixture('sip.register-requested.v1/first-register.json');
    await expect(consumer.handle(record(SIP_REGISTER_REQUESTED_V1, register))).rejects.toBe(failure);
    await expect(consumer.handle(record('auth.session-started.v1', '{}'))).rejects.toBeInstanceOf(
      UnexpectedTopicError,
    );
  });
});

describe('secretsEqual', () => {
  it('accepts only the same secret, whatever the lengths', () => {
    expect(secretsEqual('test-admin-token', 'test-admin-token')).toBe(true);
    expect(secretsEqual('test-admin-tokeN', 'test-admin-token')).toBe(false);
    expect(secretsEqual('short', 'test-admin-token')).toBe(false);
    expect(secretsEqual('', 'test-admin-token')).toBe(false);
  });
});
