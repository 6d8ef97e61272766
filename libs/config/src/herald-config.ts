import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { EdgeIdSettingSchema } from '#herald/contracts';
import {
  booleanSetting,
  ConfigError,
  type ReadSetting,
  readSettings,
  requireAtMost,
  requireBelow,
  requireDifferentPort,
  type SettingValues,
} from './read-settings';
import {
  KAFKA_SECURITY_CONFIG_KEYS,
  KAFKA_SECURITY_SETTINGS,
  kafkaSecurityProblems,
} from './kafka-security-settings';

/**
 * Herald's settings, one environment variable each (the table in docs/configuration.md).
 * An app loads only the settings it uses (`loadConfig(['domain', 'sipPorts', ...])`), so a
 * variable that app ignores can never stop it; every bad variable is reported at once.
 */

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInteger = z.coerce.number().int().positive();
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
const brokerList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((broker) => broker.trim())
      .filter((broker) => broker !== ''),
  )
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1));

/** The embedded default runs everything in one process; distributed is the Kafka deployment. */
export const HERALD_MODES = ['embedded', 'distributed'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** kafkajs' levels (its client logs through pino at this level). */
export const KAFKA_LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A level name in any case (`INFO`, `Info`): operators write both, and neither is ambiguous. */
function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(names: T) {
  return z.string().trim().toLowerCase().pipe(z.enum(names));
}

/**
 * HERALD_LOG_LEVEL read leniently, for the logger made before the settings are validated: the
 * validated level when the variable is valid, else `info` (loadConfig then rejects the variable,
 * and the app logs that rejection at `info` before it exits).
 */
export function logLevelOf(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const parsed = caseInsensitiveEnum(LOG_LEVELS).safeParse(env['HERALD_LOG_LEVEL'] ?? 'info');
  return parsed.success ? parsed.data : 'info';
}

/** Kubernetes' default terminationGracePeriodSeconds is 30 s: finish a little before the SIGKILL. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 25_000;

/** HERALD_KAFKA_LINGER_MS: what a REGISTER may wait for company, well below its decision timeout. */
export const DEFAULT_KAFKA_LINGER_MS = 5;
export const MAX_KAFKA_LINGER_MS = 50;

/**
 * HERALD_KAFKA_COMMIT_INTERVAL_MS: each OffsetCommit costs the broker as much as a produce, and a
 * crash or rebalance redoes at most this much more of idempotent work; a minute at most, so the
 * consumer-lag readings (committed offsets) stay meaningful.
 */
export const DEFAULT_KAFKA_COMMIT_INTERVAL_MS = 1_000;
export const MIN_KAFKA_COMMIT_INTERVAL_MS = 10;
export const MAX_KAFKA_COMMIT_INTERVAL_MS = 60_000;

/**
 * HERALD_KAFKA_PRODUCE_INTERVAL_MS: at 750 IM/s, 5 ms took ~7 % off the deployment's CPU per IM with
 * no higher INFO→push latency (the CPU it frees shortens the run queues it adds to); bench/README.md,
 * Session 11, every branch merged.
 */
export const DEFAULT_KAFKA_PRODUCE_INTERVAL_MS = 5;
export const MAX_KAFKA_PRODUCE_INTERVAL_MS = 50;

/** Setting name -> its variable and schema (defaults included). Order is the docs' order. */
export const HERALD_SETTINGS = {
  domain: { variable: 'HERALD_DOMAIN', schema: z.string().min(1).default('herald.local') },
  mode: { variable: 'HERALD_MODE', schema: z.enum(HERALD_MODES).default('embedded') },
  /** Names the edge's outbound topic, so only what a Kafka topic name takes; within every event's bound too. */
  edgeId: { variable: 'HERALD_EDGE_ID', schema: EdgeIdSettingSchema.default(hostname()) },
  kafkaBrokers: { variable: 'KAFKA_BROKERS', schema: brokerList.optional() },
  kafkaClientId: { variable: 'KAFKA_CLIENT_ID', schema: z.string().min(1).default('herald') },
  /** A consumer silent this long loses its partitions to a survivor (kafkajs' own default: 30 s). */
  kafkaSessionTimeoutMs: { variable: 'KAFKA_SESSION_TIMEOUT_MS', schema: positiveInteger.default(10_000) },
  kafkaHeartbeatIntervalMs: {
    variable: 'KAFKA_HEARTBEAT_INTERVAL_MS',
    schema: positiveInteger.default(3_000),
  },
  /**
   * Least time between two offset commits of one consumer: fewer broker requests under load against
   * more handled work redone (idempotently) after a crash or a rebalance.
   */
  kafkaCommitIntervalMs: {
    variable: 'HERALD_KAFKA_COMMIT_INTERVAL_MS',
    schema: z.coerce
      .number()
      .int()
      .min(MIN_KAFKA_COMMIT_INTERVAL_MS)
      .max(MAX_KAFKA_COMMIT_INTERVAL_MS)
      .default(DEFAULT_KAFKA_COMMIT_INTERVAL_MS),
  },
  /**
   * Least time between the starts of two produces of one process while its publishes keep coming:
   * fewer, larger produces under load against up to this much more latency per hop; 0: none.
   */
  kafkaProduceIntervalMs: {
    variable: 'HERALD_KAFKA_PRODUCE_INTERVAL_MS',
    schema: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_KAFKA_PRODUCE_INTERVAL_MS)
      .default(DEFAULT_KAFKA_PRODUCE_INTERVAL_MS),
  },
  kafkaLogLevel: {
    variable: 'KAFKA_LOG_LEVEL',
    schema: caseInsensitiveEnum(KAFKA_LOG_LEVELS).default('warn'),
  },
  /**
   * Whether a Kafka service creates its topics at start. On for development; off where the topics
   * are made ahead (deploy/helm/herald/README.md, Topics): Strimzi's ACLs grant the services no Create.
   */
  kafkaCreateTopics: { variable: 'HERALD_KAFKA_CREATE_TOPICS', schema: booleanSetting(true) },
  /**
   * Whether auth, presence and im-router also consume the shared topics edges of the release
   * before per-service topics published to: only while upgrading from it (docs/deploy.md,
   * Upgrading). Off by default: a fresh install has nothing there, and every fetch naming their
   * partitions costs the broker.
   */
  consumeLegacyTopics: { variable: 'HERALD_CONSUME_LEGACY_TOPICS', schema: booleanSetting() },
  /**
   * Longest the edge holds a REGISTER request's publish so that the REGISTERs of the next few ms
   * share its produce (each produce costs the broker and both clients per request); 0 turns it off.
   */
  kafkaLingerMs: {
    variable: 'HERALD_KAFKA_LINGER_MS',
    schema: z.coerce.number().int().min(0).max(MAX_KAFKA_LINGER_MS).default(DEFAULT_KAFKA_LINGER_MS),
  },
  ...KAFKA_SECURITY_SETTINGS,
  /**
   * Records one consumer group member handles at once (distinct keys; one key stays in order),
   * on Kafka and on the embedded bus; the database pool grows to serve them.
   */
  busHandlerConcurrency: {
    variable: 'HERALD_BUS_HANDLER_CONCURRENCY',
    schema: positiveInteger.default(16),
  },
  databaseUrl: {
    variable: 'DATABASE_URL',
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
      .optional(),
  },
  databasePoolSize: { variable: 'DATABASE_POOL_SIZE', schema: positiveInteger.default(10) },
  sipBind: { variable: 'HERALD_SIP_BIND', schema: z.string().min(1).default('127.0.0.1') },
  sipUdpPort: { variable: 'HERALD_SIP_UDP_PORT', schema: port.default(5060) },
  sipTcpPort: { variable: 'HERALD_SIP_TCP_PORT', schema: port.default(5060) },
  sipTlsPort: { variable: 'HERALD_SIP_TLS_PORT', schema: port.default(5061) },
  sipWsPort: { variable: 'HERALD_SIP_WS_PORT', schema: port.default(8080) },
  sipWssPort: { variable: 'HERALD_SIP_WSS_PORT', schema: port.default(8443) },
  nonceSecret: { variable: 'HERALD_NONCE_SECRET', schema: z.string().min(16).optional() },
  adminToken: { variable: 'HERALD_ADMIN_TOKEN', schema: z.string().min(16).optional() },
  minExpires: { variable: 'HERALD_MIN_EXPIRES', schema: positiveInteger.default(60) },
  maxExpires: { variable: 'HERALD_MAX_EXPIRES', schema: positiveInteger.default(3600) },
  maxBodyBytes: { variable: 'HERALD_MAX_BODY_BYTES', schema: positiveInteger.default(8192) },
  httpPort: { variable: 'HERALD_HTTP_PORT', schema: port.default(8090) },
  /** The admin API's own port, apart from health and metrics, so a NetworkPolicy can tell them apart. */
  adminPort: { variable: 'HERALD_ADMIN_PORT', schema: port.default(8091) },
  /** Where the `herald` CLI finds the admin API. */
  adminUrl: {
    variable: 'HERALD_ADMIN_URL',
    schema: httpUrl.default('http://127.0.0.1:8091'),
  },
  /** Where the `herald` CLI finds one edge's HTTP port (its bans). */
  edgeUrl: {
    variable: 'HERALD_EDGE_URL',
    schema: httpUrl.default('http://127.0.0.1:8090'),
  },
  /** The web app's HTTP port (embedded default, on 127.0.0.1). */
  webPort: { variable: 'HERALD_WEB_PORT', schema: port.default(8088) },
  /** The SIP WebSocket URL the web app's browsers use, when it is not the page's own host (Kubernetes). */
  webSipUrl: {
    variable: 'HERALD_WEB_SIP_URL',
    schema: z
      .string()
      .regex(/^wss?:\/\/[^\s/]+(\/\S*)?$/, 'expected ws://host:port[/path] or wss://host:port[/path]')
      .optional(),
  },
  logLevel: { variable: 'HERALD_LOG_LEVEL', schema: caseInsensitiveEnum(LOG_LEVELS).default('info') },
  /** How long a SIGTERM may take before the process exits 1. */
  shutdownGraceMs: {
    variable: 'HERALD_SHUTDOWN_GRACE_MS',
    schema: positiveInteger.default(DEFAULT_SHUTDOWN_GRACE_MS),
  },
  /** Development only: apply pending migrations at start; deployments run the migration job first. */
  migrateOnStart: {
    variable: 'HERALD_MIGRATE_ON_START',
    schema: booleanSetting(),
  },
} as const;

export type ConfigKey = keyof typeof HERALD_SETTINGS;

/** Settings that distributed mode needs and the embedded default does without. */
const REQUIRED_WHEN_DISTRIBUTED: ReadonlyArray<ConfigKey> = ['kafkaBrokers', 'databaseUrl', 'nonceSecret'];

/** nonceSecret is always set in embedded mode (random per process when the variable is unset). */
export type HeraldConfig = SettingValues<typeof HERALD_SETTINGS>;

export const ALL_CONFIG_KEYS = Object.keys(HERALD_SETTINGS) as ConfigKey[];

/** The environment variable behind a setting, for messages and docs. */
export function variableOf(key: ConfigKey): string {
  return HERALD_SETTINGS[key].variable;
}

/**
 * Reads and validates the settings `keys` (default: all) from `env`. Empty variables count as
 * unset. Throws ConfigError listing every bad variable.
 */
export function loadConfig<K extends ConfigKey>(
  keys: ReadonlyArray<K> = ALL_CONFIG_KEYS as K[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<HeraldConfig, K | 'mode'> {
  const wanted = new Set<ConfigKey>([...keys, 'mode']);
  const { values, problems } = readSettings(HERALD_SETTINGS, wanted, env);
  if (values.mode === 'distributed') {
    for (const key of REQUIRED_WHEN_DISTRIBUTED) {
      if (
        wanted.has(key) &&
        values[key] === undefined &&
        !problems.some((problem) => problem.variable === variableOf(key))
      ) {
        problems.push({ variable: variableOf(key), message: 'required when HERALD_MODE=distributed' });
      }
    }
  }
  if (wanted.has('nonceSecret') && values.mode === 'embedded' && values.nonceSecret === undefined) {
    // One process verifies its own nonces, so a secret that dies with it is enough.
    values.nonceSecret = randomBytes(32).toString('base64url');
  }
  const read = (key: ConfigKey): ReadSetting => ({ variable: variableOf(key), value: values[key] });
  requireAtMost(problems, read('minExpires'), read('maxExpires'));
  requireDifferentPort(problems, read('adminPort'), read('httpPort'));
  requireBelow(problems, read('kafkaHeartbeatIntervalMs'), read('kafkaSessionTimeoutMs'));
  problems.push(...kafkaSecurityProblems(values));
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return values as Pick<HeraldConfig, K | 'mode'>;
}

/** The consumer group and request pacing settings every Kafka service loads (`loadConfig([...KAFKA_TIMING_CONFIG_KEYS, …])`). */
export const KAFKA_TIMING_CONFIG_KEYS = [
  'kafkaSessionTimeoutMs',
  'kafkaHeartbeatIntervalMs',
  'kafkaCommitIntervalMs',
  'kafkaProduceIntervalMs',
] as const;

/** What every service on the Kafka bus loads to build it (`loadConfig([...KAFKA_BUS_CONFIG_KEYS, …])`). */
export const KAFKA_BUS_CONFIG_KEYS = [
  'kafkaBrokers',
  'kafkaClientId',
  ...KAFKA_TIMING_CONFIG_KEYS,
  ...KAFKA_SECURITY_CONFIG_KEYS,
  'kafkaLogLevel',
  'kafkaCreateTopics',
  'busHandlerConcurrency',
] as const satisfies readonly ConfigKey[];

/** Those settings as the Kafka bus options they are. */
export function kafkaTimingOf(config: Pick<HeraldConfig, (typeof KAFKA_TIMING_CONFIG_KEYS)[number]>): {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  commitIntervalMs: number;
  produceIntervalMs: number;
} {
  return {
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    heartbeatIntervalMs: config.kafkaHeartbeatIntervalMs,
    commitIntervalMs: config.kafkaCommitIntervalMs,
    produceIntervalMs: config.kafkaProduceIntervalMs,
  };
}
