import { KafkaEventBus, type SubscriptionHandle } from '#herald/bus';
import { AUTH_DEVICE_UNREGISTERED_V1, deviceUnregisteredV1, FIXED_TOPICS } from '#herald/contracts';
import { createDataSource, runMigrations } from '#herald/persistence';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { EXIT_OK, EXIT_USAGE, runCli } from '../../apps/auth/src/cli';
import { createTestDatabase } from '../support/database';
import { requireKafkaBrokers } from '../support/env';
import { AUTH_TEST_TIMEOUT_MS } from './timeouts';

jest.setTimeout(AUTH_TEST_TIMEOUT_MS);

const DOMAIN = 'herald.example';
const ANNOUNCEMENT_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;

/** The CLI with KAFKA_BROKERS announces what deleting an account removes, like the admin API. */
describe('auth CLI over Kafka (real PostgreSQL and Kafka)', () => {
  let dataSource: DataSource;
  let observer: KafkaEventBus;
  let subscription: SubscriptionHandle;
  let env: NodeJS.ProcessEnv;
  const unregistered: Array<ReturnType<typeof deviceUnregisteredV1.decode>> = [];
  // Usernames unique per run: the broker's topics outlive the test database.
  const username = `cli${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const url = await createTestDatabase();
    dataSource = createDataSource({ url });
    await dataSource.initialize();
    await runMigrations(dataSource);
    const brokers = requireKafkaBrokers();
    env = { DATABASE_URL: url, HERALD_DOMAIN: DOMAIN, KAFKA_BROKERS: brokers.join(',') };
    observer = new KafkaEventBus({ brokers, clientId: 'test-auth-cli-observer', logLevel: 'error' });
    await observer.ensureTopics(FIXED_TOPICS);
    subscription = await observer.subscribe({
      groupId: `test-auth-cli-${username}`,
      topics: [AUTH_DEVICE_UNREGISTERED_V1],
      handler: async (record) => {
        const event = deviceUnregisteredV1.decode(record.value);
        if (event.aor === `sip:${username}@${DOMAIN}`) unregistered.push(event);
      },
    });
  });

  afterAll(async () => {
    await subscription?.stop();
    await observer?.close();
    await dataSource?.destroy();
  });

  async function cli(args: string, extraEnv: NodeJS.ProcessEnv = {}) {
    const err: string[] = [];
    const status = await runCli(
      args.split(' '),
      { ...env, ...extraEnv },
      {
        stdout: () => undefined,
        stderr: (line) => err.push(line),
        stdin: async () => '',
      },
    );
    return { status, err };
  }

  it('deletes an account, removing its binding and publishing device-unregistered (account-deleted)', async () => {
    expect((await cli(`accounts create ${username} --password wonderland`)).status).toBe(EXIT_OK);
    const aor = `sip:${username}@${DOMAIN}`;
    await dataSource.query(
      `INSERT INTO registrations (aor, device_id, contact, edge_id, flow_id, transport, source, call_id, cseq, expires_at)
       VALUES ($1, 'desk', 'sip:desk@127.0.0.1:5070', 'edge-0', 'udp:5060:127.0.0.1:5070', 'udp',
               '{"address":"127.0.0.1","port":5070}', 'call-desk', 1, now() + interval '1 hour')`,
      [aor],
    );

    expect(await cli(`accounts delete ${username}`)).toEqual({ status: EXIT_OK, err: [] });

    const deadline = Date.now() + ANNOUNCEMENT_TIMEOUT_MS;
    while (unregistered.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    expect(unregistered).toEqual([
      expect.objectContaining({ aor, deviceId: 'desk', reason: 'account-deleted' }),
    ]);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM registrations WHERE aor = $1`, [
      aor,
    ]);
    expect(n).toBe(0);
  });

  it('stops before any work on a Kafka TLS or SASL setting it cannot use', async () => {
    const missingCa = await cli(`accounts create ${username}x --password wonderland`, {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/nonexistent/kafka-ca.crt',
    });
    expect(missingCa.status).toBe(EXIT_USAGE);
    expect(missingCa.err.join('')).toMatch(/^KAFKA_TLS_FILE_UNREADABLE: .*\/nonexistent\/kafka-ca\.crt/);
    const unknownMechanism = await cli(`accounts create ${username}x --password wonderland`, {
      KAFKA_SASL_MECHANISM: 'gssapi',
      KAFKA_SASL_USERNAME: 'herald',
      KAFKA_SASL_PASSWORD: 'secret',
    });
    expect(unknownMechanism.status).toBe(EXIT_USAGE);
    expect(unknownMechanism.err.join('')).toMatch(/^CONFIG_INVALID: .*KAFKA_SASL_MECHANISM/s);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM accounts WHERE username = $1`, [
      `${username}x`,
    ]);
    expect(n).toBe(0);
  });
});
