import { BusUnavailableError, KafkaEventBus } from '#herald/bus';
import { KAFKA_SECURITY_CONFIG_KEYS, kafkaSecurityOf, loadConfig } from '#herald/config';
import { selfSignedCertificateOpensslArgs } from '#herald/sip';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino, type Logger } from 'pino';
import { Devices } from '../e2e/e2e-support';
import { HeraldCluster } from '../support/herald-cluster';
import { REPO_ROOT } from '../support/herald-process';

/**
 * The bus against a real broker's SASL_PLAINTEXT and SSL listeners (scripts/kafka.sh --secure),
 * configured as a deployment is: environment -> loadConfig -> kafkaSecurityOf -> KafkaEventBus;
 * then the separate apps (built, one process each) on the SASL listener.
 */

const run = promisify(execFile);
const KAFKA_SCRIPT = join(REPO_ROOT, 'scripts', 'kafka.sh');
/** The user scripts/kafka.sh creates on its --secure SASL listener. */
const SASL_USERNAME = 'herald';
const SASL_PASSWORD = 'herald-test-secret';
/** A cold broker on a loaded 2-core machine takes minutes (scripts/kafka.sh waits up to 3). */
const BROKER_HOOK_TIMEOUT_MS = 300_000;
/** Building dist/ and starting four apps on the busy machine. */
const CLUSTER_HOOK_TIMEOUT_MS = 300_000;
/** The test certificates live only as long as this file's tests. */
const CERTIFICATE_DAYS = 1;

let certDir: string;
let stateDir: string;
let saslBroker: string;
let sslBroker: string;

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: certDir });
}

/** `<name>.key` and a certificate request for it, EC P-256. */
async function keyAndRequest(name: string, commonName: string): Promise<void> {
  await openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    `/CN=${commonName}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
}

/** A test CA (`<name>.crt`, `<name>.key`), self-signed. */
async function certificateAuthority(name: string): Promise<void> {
  await openssl(
    ...selfSignedCertificateOpensslArgs({
      commonName: name,
      days: CERTIFICATE_DAYS,
      keyPath: `${name}.key`,
      certPath: `${name}.crt`,
    }),
  );
}

/** `<name>.crt` signed by the CA `ca`, for the subjectAltName `altName` (none: a client certificate). */
async function signedCertificate(name: string, ca: string, altName?: string): Promise<void> {
  await keyAndRequest(name, altName === undefined ? name : altName.replace(/^IP:/, ''));
  const extensions: string[] = [];
  if (altName !== undefined) {
    await writeFile(join(certDir, `${name}.ext`), `subjectAltName=${altName}\n`);
    extensions.push('-extfile', `${name}.ext`);
  }
  await openssl(
    ...['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial'],
    ...['-days', String(CERTIFICATE_DAYS), '-out', `${name}.crt`, ...extensions],
  );
}

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), 'herald-kafka-certs-'));
  await certificateAuthority('ca');
  await certificateAuthority('other-ca');
  await signedCertificate('broker', 'ca', 'IP:127.0.0.1');
  await signedCertificate('client', 'ca');
  stateDir = await mkdtemp(join(tmpdir(), 'herald-kafka-secure-'));
  const { stdout } = await run('bash', [KAFKA_SCRIPT, 'start', stateDir, '--secure', certDir], {
    cwd: REPO_ROOT,
  });
  const listeners = new Map(
    stdout
      .trim()
      .split('\n')
      .flatMap((line) => (line.includes('=') ? [line.split('=') as [string, string]] : [])),
  );
  saslBroker = listeners.get('sasl_plaintext') ?? '';
  sslBroker = listeners.get('ssl') ?? '';
  expect([saslBroker, sslBroker]).toEqual([
    expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    expect.stringMatching(/^127\.0\.0\.1:\d+$/),
  ]);
}, BROKER_HOOK_TIMEOUT_MS);

afterAll(async () => {
  if (stateDir !== undefined) await run('bash', [KAFKA_SCRIPT, 'stop', stateDir], { cwd: REPO_ROOT });
  if (certDir !== undefined) await rm(certDir, { recursive: true, force: true });
}, BROKER_HOOK_TIMEOUT_MS);

const buses: KafkaEventBus[] = [];

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
});

/** The bus a service would build from these variables. */
function busFrom(env: Record<string, string>, logger?: Logger): KafkaEventBus {
  const config = loadConfig(['kafkaBrokers', 'kafkaClientId', ...KAFKA_SECURITY_CONFIG_KEYS], {
    KAFKA_CLIENT_ID: 'herald-security-test',
    ...env,
  });
  const bus = new KafkaEventBus({
    brokers: config.kafkaBrokers ?? [],
    clientId: config.kafkaClientId,
    security: kafkaSecurityOf(config),
    ...(logger === undefined ? { logLevel: 'nothing' } : { logLevel: 'error', logger }),
  });
  buses.push(bus);
  return bus;
}

/** Publishes one record on a fresh topic and resolves with the value the bus's consumer got. */
async function roundTrip(bus: KafkaEventBus): Promise<string> {
  const topic = `herald.security-test.${randomUUID()}`;
  await bus.ensureTopics([topic]);
  const received = new Promise<string>((resolve) => {
    void bus.subscribe({
      groupId: `herald-security-test-${randomUUID()}`,
      topics: [topic],
      handler: async (record) => resolve(record.value.toString()),
    });
  });
  await bus.publish([
    { topic, key: 'sip:alice@herald.local', value: Buffer.from('over a secured listener') },
  ]);
  return received;
}

const scram512 = (): Record<string, string> => ({
  KAFKA_BROKERS: saslBroker,
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: SASL_USERNAME,
  KAFKA_SASL_PASSWORD: SASL_PASSWORD,
});

describe('KafkaEventBus with SASL (SASL_PLAINTEXT listener)', () => {
  it('publishes and consumes with SCRAM-SHA-512', async () => {
    await expect(roundTrip(busFrom(scram512()))).resolves.toBe('over a secured listener');
  });

  it.each(['plain', 'scram-sha-256'])('authenticates with %s', async (mechanism) => {
    await expect(
      busFrom({ ...scram512(), KAFKA_SASL_MECHANISM: mechanism }).checkBroker(),
    ).resolves.toBeUndefined();
  });

  it('is refused with a wrong password', async () => {
    await expect(
      busFrom({ ...scram512(), KAFKA_SASL_PASSWORD: 'not-the-password' }).checkBroker(),
    ).rejects.toThrow(/authentication failed/i);
  });

  it('cannot talk to the SASL listener without SASL', async () => {
    await expect(busFrom({ KAFKA_BROKERS: saslBroker }).checkBroker()).rejects.toThrow();
  });
});

describe('KafkaEventBus with TLS (SSL listener)', () => {
  const tls = (): Record<string, string> => ({
    KAFKA_BROKERS: sslBroker,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: join(certDir, 'ca.crt'),
  });

  it('publishes and consumes, checking the broker against the CA file', async () => {
    await expect(roundTrip(busFrom(tls()))).resolves.toBe('over a secured listener');
  });

  it('presents a client certificate (mTLS)', async () => {
    const bus = busFrom({
      ...tls(),
      KAFKA_SSL_CERT_FILE: join(certDir, 'client.crt'),
      KAFKA_SSL_KEY_FILE: join(certDir, 'client.key'),
    });
    await expect(roundTrip(bus)).resolves.toBe('over a secured listener');
  });

  it('refuses a broker whose certificate another CA signed', async () => {
    // kafkajs retries a failed connection until the check times out: its log says why it failed.
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(line) });
    const bus = busFrom({ ...tls(), KAFKA_SSL_CA_FILE: join(certDir, 'other-ca.crt') }, logger);
    await expect(bus.checkBroker()).rejects.toThrow(BusUnavailableError);
    expect(logged.join('')).toMatch(/Connection error: [^"]*certificate/);
  });
});

describe('the separate apps on the SASL listener (SCRAM-SHA-512, as the chart configures them)', () => {
  let cluster: HeraldCluster | undefined;
  const devices = new Devices(() => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return cluster;
  });

  beforeAll(async () => {
    cluster = await HeraldCluster.start({
      kafkaBrokers: [saslBroker],
      env: {
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: SASL_USERNAME,
        KAFKA_SASL_PASSWORD: SASL_PASSWORD,
      },
    });
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await devices.closeAll();
    await cluster?.stop();
  }, CLUSTER_HOOK_TIMEOUT_MS);

  it('serve a REGISTER, which goes from the edge to auth and back through the broker', async () => {
    await devices.registered(await devices.account('sasl'), 'udp');
  });
});
