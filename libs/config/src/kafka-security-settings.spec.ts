import { loadConfig } from './herald-config';
import { KAFKA_SECURITY_CONFIG_KEYS, kafkaSecurityOf } from './kafka-security-settings';
import { ConfigError } from './read-settings';

function problemsOf(env: NodeJS.ProcessEnv): Array<{ variable: string; message: string }> {
  try {
    loadConfig(KAFKA_SECURITY_CONFIG_KEYS, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.code).toBe('CONFIG_INVALID');
    return [...error.problems];
  }
  throw new Error('loadConfig accepted the settings');
}

describe('Kafka TLS and SASL settings', () => {
  it('default to plaintext without SASL', () => {
    const config = loadConfig(KAFKA_SECURITY_CONFIG_KEYS, {});
    expect(config.kafkaSsl).toBe(false);
    expect(kafkaSecurityOf(config)).toEqual({});
  });

  it('read what the Helm chart renders: TLS with its mounted CA file and SCRAM', () => {
    const config = loadConfig(KAFKA_SECURITY_CONFIG_KEYS, {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/etc/herald/kafka-ca/ca.crt',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'herald',
      KAFKA_SASL_PASSWORD: 'secret',
    });
    expect(kafkaSecurityOf(config)).toEqual({
      tls: { caFile: '/etc/herald/kafka-ca/ca.crt' },
      sasl: { mechanism: 'scram-sha-512', username: 'herald', password: 'secret' },
    });
  });

  it('take a client certificate and key for mTLS, and TLS with the system CAs', () => {
    const mtls = loadConfig(KAFKA_SECURITY_CONFIG_KEYS, {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CERT_FILE: '/run/kafka/user.crt',
      KAFKA_SSL_KEY_FILE: '/run/kafka/user.key',
    });
    expect(kafkaSecurityOf(mtls)).toEqual({
      tls: { certFile: '/run/kafka/user.crt', keyFile: '/run/kafka/user.key' },
    });
    expect(kafkaSecurityOf(loadConfig(KAFKA_SECURITY_CONFIG_KEYS, { KAFKA_SSL: 'true' }))).toEqual({
      tls: {},
    });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('accept SASL mechanism %s', (mechanism) => {
    const config = loadConfig(KAFKA_SECURITY_CONFIG_KEYS, {
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: 'herald',
      KAFKA_SASL_PASSWORD: 'secret',
    });
    expect(kafkaSecurityOf(config)).toEqual({ sasl: { mechanism, username: 'herald', password: 'secret' } });
  });

  it('refuse an unknown SASL mechanism and a KAFKA_SSL that is not true or false', () => {
    expect(
      problemsOf({
        KAFKA_SSL: 'yes',
        KAFKA_SASL_MECHANISM: 'gssapi',
        KAFKA_SASL_USERNAME: 'herald',
        KAFKA_SASL_PASSWORD: 'secret',
      }).map((problem) => problem.variable),
    ).toEqual(['KAFKA_SSL', 'KAFKA_SASL_MECHANISM']);
  });

  it('refuse a SASL mechanism without credentials, and credentials without a mechanism', () => {
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'herald' })).toEqual([
      { variable: 'KAFKA_SASL_PASSWORD', message: 'required when KAFKA_SASL_MECHANISM is set' },
    ]);
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'herald', KAFKA_SASL_PASSWORD: 'secret' })).toEqual([
      { variable: 'KAFKA_SASL_USERNAME', message: 'needs KAFKA_SASL_MECHANISM' },
      { variable: 'KAFKA_SASL_PASSWORD', message: 'needs KAFKA_SASL_MECHANISM' },
    ]);
  });

  it('refuse TLS files without KAFKA_SSL=true and a client certificate without its key', () => {
    expect(problemsOf({ KAFKA_SSL_CA_FILE: '/ca.crt' })).toEqual([
      { variable: 'KAFKA_SSL_CA_FILE', message: 'needs KAFKA_SSL=true' },
    ]);
    expect(
      problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/user.crt' }).map((p) => p.variable),
    ).toEqual(['KAFKA_SSL_KEY_FILE']);
  });
});
