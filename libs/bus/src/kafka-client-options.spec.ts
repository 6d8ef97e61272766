import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificateOpensslArgs } from '#herald/sip';
import {
  KafkaSecurityError,
  kafkaSecurityClientOptions,
  type KafkaSaslMechanism,
} from './kafka-client-options';
import { KafkaEventBus } from './kafka-event-bus';

/** The certificates live only as long as this file's tests. */
const CERTIFICATE_DAYS = 1;

let dir: string;

/** A self-signed EC certificate and its key, written by openssl as `<name>.crt` and `<name>.key`. */
function selfSigned(name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    selfSignedCertificateOpensslArgs({
      commonName: name,
      days: CERTIFICATE_DAYS,
      keyPath: keyFile,
      certPath: certFile,
    }),
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

function securityErrorOf(build: () => unknown): KafkaSecurityError {
  try {
    build();
  } catch (error) {
    if (error instanceof KafkaSecurityError) return error;
    throw error;
  }
  throw new Error('no KafkaSecurityError');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'herald-kafka-tls-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('kafkaSecurityClientOptions', () => {
  it('adds nothing without security: plaintext, no SASL', () => {
    expect(kafkaSecurityClientOptions(undefined)).toEqual({});
    expect(kafkaSecurityClientOptions({})).toEqual({});
  });

  it.each<KafkaSaslMechanism>(['plain', 'scram-sha-256', 'scram-sha-512'])(
    'passes SASL %s to kafkajs',
    (mechanism) => {
      expect(
        kafkaSecurityClientOptions({ sasl: { mechanism, username: 'herald', password: 'secret' } }),
      ).toEqual({
        sasl: { mechanism, username: 'herald', password: 'secret' },
      });
    },
  );

  it('turns TLS on with the system CAs and the certificate check on', () => {
    expect(kafkaSecurityClientOptions({ tls: {} })).toEqual({ ssl: { rejectUnauthorized: true } });
  });

  it('trusts the CA file and presents the client certificate and key (mTLS), with SASL on top', () => {
    const ca = selfSigned('ca');
    const client = selfSigned('client');
    expect(
      kafkaSecurityClientOptions({
        tls: { caFile: ca.certFile, certFile: client.certFile, keyFile: client.keyFile },
        sasl: { mechanism: 'scram-sha-512', username: 'herald', password: 'secret' },
      }),
    ).toEqual({
      ssl: {
        rejectUnauthorized: true,
        ca: [readFileSync(ca.certFile, 'utf8')],
        cert: readFileSync(client.certFile, 'utf8'),
        key: readFileSync(client.keyFile, 'utf8'),
      },
      sasl: { mechanism: 'scram-sha-512', username: 'herald', password: 'secret' },
    });
  });

  it('fails with KAFKA_TLS_FILE_UNREADABLE on a missing CA file, also when the bus is built', () => {
    const caFile = join(dir, 'missing-ca.crt');
    const error = securityErrorOf(() => kafkaSecurityClientOptions({ tls: { caFile } }));
    expect(error.code).toBe('KAFKA_TLS_FILE_UNREADABLE');
    expect(error.message).toContain(caFile);
    expect(
      securityErrorOf(
        () =>
          new KafkaEventBus({
            brokers: ['127.0.0.1:9'],
            clientId: 'tls-spec',
            security: { tls: { caFile } },
          }),
      ).code,
    ).toBe('KAFKA_TLS_FILE_UNREADABLE');
  });

  it('fails with KAFKA_TLS_FILE_INVALID on a file that is not a PEM certificate or key', () => {
    const notPem = join(dir, 'not-pem.crt');
    writeFileSync(notPem, 'not a certificate\n');
    const client = selfSigned('client-for-invalid');
    expect(securityErrorOf(() => kafkaSecurityClientOptions({ tls: { caFile: notPem } })).code).toBe(
      'KAFKA_TLS_FILE_INVALID',
    );
    expect(
      securityErrorOf(() =>
        kafkaSecurityClientOptions({ tls: { certFile: client.certFile, keyFile: notPem } }),
      ).code,
    ).toBe('KAFKA_TLS_FILE_INVALID');
    expect(
      securityErrorOf(() => kafkaSecurityClientOptions({ tls: { certFile: client.certFile } })).code,
    ).toBe('KAFKA_TLS_FILE_INVALID');
  });

  it('fails with KAFKA_TLS_KEY_MISMATCH when the key belongs to another certificate', () => {
    const first = selfSigned('first');
    const second = selfSigned('second');
    expect(
      securityErrorOf(() =>
        kafkaSecurityClientOptions({ tls: { certFile: first.certFile, keyFile: second.keyFile } }),
      ).code,
    ).toBe('KAFKA_TLS_KEY_MISMATCH');
  });
});
