import {
  HERALD_SETTINGS,
  KAFKA_TIMING_CONFIG_KEYS,
  kafkaTimingOf,
  loadConfig,
  logLevelOf,
} from './herald-config';
import { ConfigError, variablesOf } from './read-settings';
import { SIP_EDGE_SETTINGS } from './sip-edge-settings';
import { AUTH_SETTINGS } from './auth-settings';
import { IM_ROUTER_SETTINGS } from './im-router-settings';
import { EMBEDDED_SETTINGS } from './embedded-settings';
import { EDGE_LINK_SETTINGS } from './edge-link-settings';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('loadConfig', () => {
  it('reads the shutdown grace and HERALD_MIGRATE_ON_START, refusing values that mean nothing', () => {
    const keys = ['shutdownGraceMs', 'migrateOnStart'] as const;
    expect(
      loadConfig(keys, { HERALD_SHUTDOWN_GRACE_MS: '8000', HERALD_MIGRATE_ON_START: 'true' }),
    ).toMatchObject({
      shutdownGraceMs: 8000,
      migrateOnStart: true,
    });
    for (const raw of ['0', '-5', '1.5', 'soon']) {
      expect(() => loadConfig(keys, { HERALD_SHUTDOWN_GRACE_MS: raw })).toThrow(ConfigError);
    }
    expect(() => loadConfig(keys, { HERALD_MIGRATE_ON_START: 'yes' })).toThrow(ConfigError);
  });

  it('applies the documented defaults in embedded mode', () => {
    const config = loadConfig(undefined, {});
    expect(config).toMatchObject({
      domain: 'herald.local',
      mode: 'embedded',
      kafkaClientId: 'herald',
      sipBind: '127.0.0.1',
      sipUdpPort: 5060,
      sipTcpPort: 5060,
      sipTlsPort: 5061,
      sipWsPort: 8080,
      sipWssPort: 8443,
      minExpires: 60,
      maxExpires: 3600,
      maxBodyBytes: 8192,
      httpPort: 8090,
      adminPort: 8091,
      adminUrl: 'http://127.0.0.1:8091',
      edgeUrl: 'http://127.0.0.1:8090',
      webPort: 8088,
      logLevel: 'info',
      shutdownGraceMs: 25_000,
      migrateOnStart: false,
    });
    expect(config.kafkaBrokers).toBeUndefined();
    expect(config.nonceSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('parses variables into typed values', () => {
    const config = loadConfig(['kafkaBrokers', 'sipUdpPort', 'databaseUrl'], {
      HERALD_MODE: 'distributed',
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
      HERALD_SIP_UDP_PORT: '15060',
      DATABASE_URL: 'postgres://herald@127.0.0.1:5432/herald',
    });
    expect(config).toEqual({
      mode: 'distributed',
      kafkaBrokers: ['127.0.0.1:9092', '127.0.0.1:9093'],
      sipUdpPort: 15060,
      databaseUrl: 'postgres://herald@127.0.0.1:5432/herald',
    });
  });

  it('lists every bad variable in one error', () => {
    const env = {
      HERALD_MODE: 'clustered',
      HERALD_SIP_UDP_PORT: '70000',
      HERALD_MAX_BODY_BYTES: 'big',
      HERALD_WEB_PORT: 'http',
      HERALD_WEB_SIP_URL: 'https://sip.example.com',
      KAFKA_BROKERS: 'no-port',
    };
    let thrown: unknown;
    try {
      loadConfig(undefined, env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const configError = thrown as ConfigError;
    expect(configError.code).toBe('CONFIG_INVALID');
    expect(configError.problems.map((problem) => problem.variable).sort()).toEqual([
      'HERALD_MAX_BODY_BYTES',
      'HERALD_MODE',
      'HERALD_SIP_UDP_PORT',
      'HERALD_WEB_PORT',
      'HERALD_WEB_SIP_URL',
      'KAFKA_BROKERS',
    ]);
    expect(configError.message).toContain('HERALD_SIP_UDP_PORT');
  });

  it('requires Kafka, PostgreSQL and the nonce secret in distributed mode, only where picked', () => {
    expect(() =>
      loadConfig(['kafkaBrokers', 'databaseUrl', 'nonceSecret'], { HERALD_MODE: 'distributed' }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          { variable: 'KAFKA_BROKERS', message: 'required when HERALD_MODE=distributed' },
          { variable: 'DATABASE_URL', message: 'required when HERALD_MODE=distributed' },
          { variable: 'HERALD_NONCE_SECRET', message: 'required when HERALD_MODE=distributed' },
        ],
      }),
    );
    expect(loadConfig(['domain'], { HERALD_MODE: 'distributed' })).toEqual({
      mode: 'distributed',
      domain: 'herald.local',
    });
  });

  it('ignores a bad variable the app did not pick', () => {
    expect(loadConfig(['domain'], { HERALD_SIP_UDP_PORT: 'x' })).toEqual({
      mode: 'embedded',
      domain: 'herald.local',
    });
  });

  it('keeps the admin API on a port of its own and the CLI on an http(s) URL', () => {
    expect(() =>
      loadConfig(['httpPort', 'adminPort'], { HERALD_HTTP_PORT: '9000', HERALD_ADMIN_PORT: '9000' }),
    ).toThrow(/HERALD_ADMIN_PORT: must differ from HERALD_HTTP_PORT/);
    // Two ephemeral ports are two different ports.
    expect(
      loadConfig(['httpPort', 'adminPort'], { HERALD_HTTP_PORT: '0', HERALD_ADMIN_PORT: '0' }),
    ).toMatchObject({
      httpPort: 0,
      adminPort: 0,
    });
    expect(() => loadConfig(['adminUrl'], { HERALD_ADMIN_URL: 'ftp://admin.example' })).toThrow(
      /HERALD_ADMIN_URL/,
    );
    expect(loadConfig(['adminUrl'], { HERALD_ADMIN_URL: 'https://admin.example:8443' }).adminUrl).toBe(
      'https://admin.example:8443',
    );
    expect(() => loadConfig(['edgeUrl'], { HERALD_EDGE_URL: 'edge-0:8090' })).toThrow(/HERALD_EDGE_URL/);
    expect(loadConfig(['edgeUrl'], { HERALD_EDGE_URL: 'http://edge-0:8090' }).edgeUrl).toBe(
      'http://edge-0:8090',
    );
  });

  it('takes for HERALD_EDGE_ID only what names its Kafka topic: 232 characters, letters, digits, ". _ -"', () => {
    // edge.<id>.outbound.v1 is at most Kafka's 249 characters.
    expect(loadConfig(['edgeId'], { HERALD_EDGE_ID: 'e'.repeat(232) }).edgeId).toHaveLength(232);
    expect(() => loadConfig(['edgeId'], { HERALD_EDGE_ID: 'e'.repeat(233) })).toThrow(ConfigError);
    expect(loadConfig(['edgeId'], { HERALD_EDGE_ID: 'edge-0.pods.example_1' }).edgeId).toBe(
      'edge-0.pods.example_1',
    );
    for (const bad of ['edge 0', 'edge/0', 'edge:0', 'édge']) {
      expect(() => loadConfig(['edgeId'], { HERALD_EDGE_ID: bad })).toThrow(
        /HERALD_EDGE_ID: an edge id takes only/,
      );
    }
  });

  it('rejects a minimum expiry above the maximum', () => {
    expect(() =>
      loadConfig(['minExpires', 'maxExpires'], { HERALD_MIN_EXPIRES: '600', HERALD_MAX_EXPIRES: '300' }),
    ).toThrow(/HERALD_MIN_EXPIRES: must not exceed HERALD_MAX_EXPIRES/);
  });

  it('defaults the Kafka group session to 10 s with 3 s heartbeats (kafkajs alone waits 30 s), commits each second and paces produces 5 ms apart under load', () => {
    expect(kafkaTimingOf(loadConfig(KAFKA_TIMING_CONFIG_KEYS, {}))).toEqual({
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 3_000,
      commitIntervalMs: 1_000,
      produceIntervalMs: 5,
    });
    expect(
      kafkaTimingOf(
        loadConfig(KAFKA_TIMING_CONFIG_KEYS, {
          KAFKA_SESSION_TIMEOUT_MS: '6000',
          KAFKA_HEARTBEAT_INTERVAL_MS: '1500',
          HERALD_KAFKA_COMMIT_INTERVAL_MS: '250',
          HERALD_KAFKA_PRODUCE_INTERVAL_MS: '4',
        }),
      ),
    ).toEqual({
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_500,
      commitIntervalMs: 250,
      produceIntervalMs: 4,
    });
  });

  it('reads HERALD_KAFKA_PRODUCE_INTERVAL_MS as whole milliseconds from 0 to 50', () => {
    const read = (value: string) =>
      loadConfig(['kafkaProduceIntervalMs'], { HERALD_KAFKA_PRODUCE_INTERVAL_MS: value })
        .kafkaProduceIntervalMs;
    expect(read('0')).toBe(0);
    expect(read('50')).toBe(50);
    for (const bad of ['-1', '51', '2.5', 'soon']) {
      expect(() => read(bad)).toThrow(/HERALD_KAFKA_PRODUCE_INTERVAL_MS/);
    }
  });

  it('reads HERALD_KAFKA_COMMIT_INTERVAL_MS as whole milliseconds from 10 to 60,000', () => {
    const read = (value: string) =>
      loadConfig(['kafkaCommitIntervalMs'], { HERALD_KAFKA_COMMIT_INTERVAL_MS: value }).kafkaCommitIntervalMs;
    expect(read('10')).toBe(10);
    expect(read('60000')).toBe(60_000);
    for (const bad of ['0', '9', '60001', '2.5', 'often']) {
      expect(() => read(bad)).toThrow(/HERALD_KAFKA_COMMIT_INTERVAL_MS/);
    }
  });

  it('reads HERALD_BUS_HANDLER_CONCURRENCY, 16 by default, positive integers only', () => {
    expect(loadConfig(['busHandlerConcurrency'], {}).busHandlerConcurrency).toBe(16);
    expect(
      loadConfig(['busHandlerConcurrency'], { HERALD_BUS_HANDLER_CONCURRENCY: '32' }).busHandlerConcurrency,
    ).toBe(32);
    expect(() => loadConfig(['busHandlerConcurrency'], { HERALD_BUS_HANDLER_CONCURRENCY: '0' })).toThrow(
      /HERALD_BUS_HANDLER_CONCURRENCY/,
    );
  });

  it('reads KAFKA_LOG_LEVEL, warn by default, kafkajs level names only', () => {
    expect(loadConfig(['kafkaLogLevel'], {}).kafkaLogLevel).toBe('warn');
    expect(loadConfig(['kafkaLogLevel'], { KAFKA_LOG_LEVEL: 'debug' }).kafkaLogLevel).toBe('debug');
    expect(() => loadConfig(['kafkaLogLevel'], { KAFKA_LOG_LEVEL: 'trace' })).toThrow(/KAFKA_LOG_LEVEL/);
  });

  it('reads HERALD_LOG_LEVEL and KAFKA_LOG_LEVEL in any case, and names the variable of a bad one', () => {
    expect(loadConfig(['logLevel'], { HERALD_LOG_LEVEL: 'INFO' }).logLevel).toBe('info');
    expect(loadConfig(['logLevel'], { HERALD_LOG_LEVEL: ' Debug ' }).logLevel).toBe('debug');
    expect(loadConfig(['kafkaLogLevel'], { KAFKA_LOG_LEVEL: 'WARN' }).kafkaLogLevel).toBe('warn');
    expect(() => loadConfig(['logLevel'], { HERALD_LOG_LEVEL: 'loud' })).toThrow(
      expect.objectContaining({
        problems: [expect.objectContaining({ variable: 'HERALD_LOG_LEVEL' })],
      }),
    );
  });

  it('gives the logger made before validation the valid level, else info', () => {
    expect(logLevelOf({ HERALD_LOG_LEVEL: 'WARN' })).toBe('warn');
    expect(logLevelOf({})).toBe('info');
    expect(logLevelOf({ HERALD_LOG_LEVEL: 'loud' })).toBe('info');
  });

  it('creates topics at start unless HERALD_KAFKA_CREATE_TOPICS=false', () => {
    expect(loadConfig(['kafkaCreateTopics'], {}).kafkaCreateTopics).toBe(true);
    expect(loadConfig(['kafkaCreateTopics'], { HERALD_KAFKA_CREATE_TOPICS: 'false' }).kafkaCreateTopics).toBe(
      false,
    );
    expect(() => loadConfig(['kafkaCreateTopics'], { HERALD_KAFKA_CREATE_TOPICS: 'no' })).toThrow(
      /HERALD_KAFKA_CREATE_TOPICS/,
    );
  });

  it('consumes the legacy shared topics only with HERALD_CONSUME_LEGACY_TOPICS=true', () => {
    expect(loadConfig(['consumeLegacyTopics'], {}).consumeLegacyTopics).toBe(false);
    expect(
      loadConfig(['consumeLegacyTopics'], { HERALD_CONSUME_LEGACY_TOPICS: 'true' }).consumeLegacyTopics,
    ).toBe(true);
    expect(() => loadConfig(['consumeLegacyTopics'], { HERALD_CONSUME_LEGACY_TOPICS: 'yes' })).toThrow(
      /HERALD_CONSUME_LEGACY_TOPICS/,
    );
  });

  it('reads HERALD_KAFKA_LINGER_MS as whole milliseconds from 0 to 50, 5 by default', () => {
    expect(loadConfig(['kafkaLingerMs'], {}).kafkaLingerMs).toBe(5);
    expect(loadConfig(['kafkaLingerMs'], { HERALD_KAFKA_LINGER_MS: '0' }).kafkaLingerMs).toBe(0);
    expect(loadConfig(['kafkaLingerMs'], { HERALD_KAFKA_LINGER_MS: '50' }).kafkaLingerMs).toBe(50);
    for (const bad of ['-1', '51', '2.5', 'soon']) {
      expect(() => loadConfig(['kafkaLingerMs'], { HERALD_KAFKA_LINGER_MS: bad })).toThrow(
        /HERALD_KAFKA_LINGER_MS/,
      );
    }
  });

  it('rejects a Kafka heartbeat interval not below the session timeout', () => {
    expect(() =>
      loadConfig(KAFKA_TIMING_CONFIG_KEYS, {
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        KAFKA_HEARTBEAT_INTERVAL_MS: '6000',
      }),
    ).toThrow(/KAFKA_HEARTBEAT_INTERVAL_MS: must be below KAFKA_SESSION_TIMEOUT_MS/);
  });

  it('has every variable documented in docs/configuration.md', () => {
    const docs = readFileSync(join(__dirname, '../../../docs/configuration.md'), 'utf8');
    const undocumented = [
      ...variablesOf(HERALD_SETTINGS),
      ...variablesOf(SIP_EDGE_SETTINGS),
      ...variablesOf(AUTH_SETTINGS),
      ...variablesOf(IM_ROUTER_SETTINGS),
      ...variablesOf(EMBEDDED_SETTINGS),
      ...variablesOf(EDGE_LINK_SETTINGS),
    ].filter((variable) => !docs.includes(`\`${variable}\``));
    expect(undocumented).toEqual([]);
  });
});
