import type { ConsumedRecord } from '#herald/bus';
import { SIP_COMMAND_RECEIVED_V1, SIP_REGISTER_REQUESTED_V1 } from '#herald/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthRecordHandler, UnexpectedTopicError } from './auth.records';
import type { AuthServices } from './auth.services';
import { secretsEqual } from './admin/secrets';

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
  const consumer = new AuthRecordHandler(services, { error: (message) => errors.push(message) });
  return { calls, consumer, services, errors };
}

describe('AuthRecordHandler', () => {
  it('hands decoded REGISTERs and commands to the domain', async () => {
    const { calls, consumer } = setUp();
    const register = readFileSync(join(FIXTURES, 'sip.register-requested.v1/first-register.json'));
    const login = readFileSync(join(FIXTURES, 'sip.command-received.v1/login-over-info.json'));
    await consumer.handle(record(SIP_REGISTER_REQUESTED_V1, register));
    await consumer.handle(record(SIP_COMMAND_RECEIVED_V1, login));
    expect(calls.map(([kind, event]) => [kind, (event as { type: string }).type])).toEqual([
      ['register', 'sip.register-requested'],
      ['command', 'sip.command-received'],
    ]);
  });

  it('skips a record that breaks its contract instead of blocking the partition', async () => {
    const { calls, consumer, errors } = setUp();
    await expect(consumer.handle(record(SIP_REGISTER_REQUESTED_V1, '{"v":1}'))).resolves.toBeUndefined();
    await expect(consumer.handle(record(SIP_COMMAND_RECEIVED_V1, 'not json'))).resolves.toBeUndefined();
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
    const register = readFileSync(join(FIXTURES, 'sip.register-requested.v1/first-register.json'));
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
