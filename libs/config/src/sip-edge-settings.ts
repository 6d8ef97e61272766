import { z } from 'zod';
import { EDGE_LINK_SERVER_SETTINGS } from './edge-link-settings';
import { booleanSetting, ConfigError, readSettings, requireBelow, type SettingValues } from './read-settings';

/**
 * Settings only the SIP edge reads (timers, rate limit, TLS files), beside the shared ones of
 * herald-config.ts. Same rules: one variable each, empty counts as unset, every problem reported.
 */
const positive = z.coerce.number().positive();
const positiveInteger = z.coerce.number().int().positive();

/** The digest algorithms a challenge may name (RFC 8760 §2, RFC 7616 §3.2). */
export const DIGEST_ALGORITHM_NAMES = ['SHA-256', 'MD5'] as const;
export type DigestAlgorithmName = (typeof DIGEST_ALGORITHM_NAMES)[number];

function isDigestAlgorithmName(name: string): name is DigestAlgorithmName {
  return (DIGEST_ALGORITHM_NAMES as readonly string[]).includes(name);
}

/** What is wrong with a list of algorithm names, if anything. */
function digestListProblem(names: readonly string[]): string | undefined {
  if (names.includes('')) return 'has an empty entry';
  const unknown = names.find((name) => !isDigestAlgorithmName(name));
  if (unknown !== undefined) return `names the unknown algorithm "${unknown}"`;
  if (new Set(names).size !== names.length) return 'names an algorithm twice';
  return undefined;
}

/**
 * `SHA-256,MD5`: the algorithms to challenge with, most preferred first (RFC 7616 §3.7). Every
 * entry must be a known name, once; an empty entry is a typo, and no entry would leave no way in.
 */
const digestAlgorithmList = z.string().transform((value, context) => {
  const names = value.split(',').map((name) => name.trim());
  const problem = digestListProblem(names);
  if (problem === undefined) return names.filter(isDigestAlgorithmName);
  context.addIssue({
    code: 'custom',
    message: `"${value}" ${problem}: expected a comma-separated list of ${DIGEST_ALGORITHM_NAMES.join(', ')}, each at most once`,
  });
  return z.NEVER;
});

export const SIP_EDGE_SETTINGS = {
  /** RFC 3261 §17.1.1.1 T1 (500 ms); small in tests to keep retransmission schedules fast. */
  t1Ms: { variable: 'HERALD_SIP_T1_MS', schema: positiveInteger.default(500) },
  t2Ms: { variable: 'HERALD_SIP_T2_MS', schema: positiveInteger.default(4000) },
  /** Retransmissions of a push over UDP (protocol.md §2: "the retry limit is configurable"); unset = until Timer F. */
  maxRetransmissions: {
    variable: 'HERALD_SIP_MAX_RETRANSMISSIONS',
    schema: z.coerce.number().int().min(0).optional(),
  },
  /** How long a REGISTER waits for auth's register.decided before 503. */
  registerTimeoutMs: { variable: 'HERALD_SIP_REGISTER_TIMEOUT_MS', schema: positiveInteger.default(5000) },
  /** How long a PUBLISH waits for presence's publish.decided before 503. */
  publishTimeoutMs: { variable: 'HERALD_SIP_PUBLISH_TIMEOUT_MS', schema: positiveInteger.default(5000) },
  /** How long a SUBSCRIBE waits for presence's subscribe.decided before 503. */
  subscribeTimeoutMs: { variable: 'HERALD_SIP_SUBSCRIBE_TIMEOUT_MS', schema: positiveInteger.default(5000) },
  /** Per-flow token bucket: burst and sustained requests per second. */
  rateBurst: { variable: 'HERALD_SIP_RATE_BURST', schema: positiveInteger.default(50) },
  ratePerSecond: { variable: 'HERALD_SIP_RATE_PER_SECOND', schema: positive.default(20) },
  /**
   * SO_RCVBUF of the SIP UDP socket: what it holds while the edge is busy (a burst of pushes, a
   * GC pause). Linux doubles it and caps the request at net.core.rmem_max (docs/configuration.md).
   */
  udpReceiveBufferBytes: {
    variable: 'HERALD_SIP_UDP_RECEIVE_BUFFER_BYTES',
    schema: positiveInteger.default(4 * 1024 * 1024),
  },
  /** Digest challenges of a 401, in the order offered (protocol.md §1: SHA-256 then MD5). */
  digestAlgorithms: {
    variable: 'HERALD_DIGEST_ALGORITHMS',
    schema: digestAlgorithmList.default(['SHA-256', 'MD5']),
  },
  /**
   * Abuse throttling per source address and per (account, source) (docs/configuration.md,
   * "Password guessing and floods"): on/off, the window counts run over, and their thresholds.
   */
  throttleEnabled: {
    variable: 'HERALD_SIP_THROTTLE_ENABLED',
    schema: booleanSetting(true),
  },
  throttleWindowSeconds: {
    variable: 'HERALD_SIP_THROTTLE_WINDOW_SECONDS',
    schema: positiveInteger.default(60),
  },
  /** Requests one source address may send per window (all its ports and transports); more get 503. */
  sourceMaxRequests: { variable: 'HERALD_SIP_SOURCE_MAX_REQUESTS', schema: positiveInteger.default(6000) },
  /** Failed authentications (REGISTER 401/403 from auth) per source address and window before a ban. */
  sourceMaxAuthFailures: {
    variable: 'HERALD_SIP_SOURCE_MAX_AUTH_FAILURES',
    schema: positiveInteger.default(30),
  },
  /** How long a banned source address is dropped silently. */
  sourceBanSeconds: { variable: 'HERALD_SIP_SOURCE_BAN_SECONDS', schema: positiveInteger.default(600) },
  /** Failed authentications of one account from one source before each further one backs off. */
  accountFreeFailures: {
    variable: 'HERALD_SIP_ACCOUNT_FREE_FAILURES',
    schema: z.coerce.number().int().min(0).default(3),
  },
  /** The longest back-off of one (account, source): 1 s, 2 s, 4 s, ... up to this. */
  accountBackoffMaxSeconds: {
    variable: 'HERALD_SIP_ACCOUNT_BACKOFF_MAX_SECONDS',
    schema: positiveInteger.default(300),
  },
  /** Entries each throttle table (sources, accounts, bans) holds at most: bounds the edge's memory. */
  throttleMaxEntries: {
    variable: 'HERALD_SIP_THROTTLE_MAX_ENTRIES',
    schema: z.coerce.number().int().min(1000).default(100_000),
  },
  /** Retry-After seconds on 503. */
  retryAfterSeconds: { variable: 'HERALD_SIP_RETRY_AFTER_SECONDS', schema: positiveInteger.default(5) },
  /** Keys the HMAC of the AOR that push spans carry (docs/observability.md); unkeyed when unset. */
  aorHashKey: { variable: 'HERALD_AOR_HASH_KEY', schema: z.string().min(1).optional() },
  /** PEM files for TLS and WSS; without both, those transports stay off. */
  tlsCertFile: { variable: 'HERALD_SIP_TLS_CERT', schema: z.string().min(1).optional() },
  tlsKeyFile: { variable: 'HERALD_SIP_TLS_KEY', schema: z.string().min(1).optional() },
  /** The edge link's server: port (`off` = none), host, shared token (edge-link-settings.ts). */
  ...EDGE_LINK_SERVER_SETTINGS,
} as const;

export type SipEdgeSettings = SettingValues<typeof SIP_EDGE_SETTINGS>;

/** Reads the edge's own settings from `env`; throws ConfigError listing every bad variable. */
export function loadSipEdgeSettings(env: NodeJS.ProcessEnv = process.env): SipEdgeSettings {
  const keys = Object.keys(SIP_EDGE_SETTINGS) as (keyof typeof SIP_EDGE_SETTINGS)[];
  const { values, problems } = readSettings(SIP_EDGE_SETTINGS, keys, env);
  if ((values.tlsCertFile === undefined) !== (values.tlsKeyFile === undefined)) {
    problems.push({
      variable: 'HERALD_SIP_TLS_CERT',
      message: 'HERALD_SIP_TLS_CERT and HERALD_SIP_TLS_KEY go together',
    });
  }
  // Else the source would be banned before any account of it backs off.
  requireBelow(
    problems,
    { variable: SIP_EDGE_SETTINGS.accountFreeFailures.variable, value: values.accountFreeFailures },
    { variable: SIP_EDGE_SETTINGS.sourceMaxAuthFailures.variable, value: values.sourceMaxAuthFailures },
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return values as SipEdgeSettings;
}
