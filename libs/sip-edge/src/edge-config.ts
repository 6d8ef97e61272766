import { SecureContextOptions } from 'node:tls';
import { HeraldConfig, SipEdgeSettings } from '#herald/config';
import { DigestAlgorithm, resolveTransactionTimers, TransactionTimerOptions } from '#herald/sip';
import { edgeLogger } from './edge-logger';
import { RateLimit } from './flows/flow-rate-limiter';
import { ThrottleLimits } from './throttle/source-guard';

/** Ports of the transports to open; an absent port leaves that transport off, 0 picks an ephemeral one. */
export interface SipEdgePorts {
  udp?: number;
  tcp?: number;
  tls?: number;
  ws?: number;
  wss?: number;
}

/** Everything the edge needs, already validated (main.ts builds it from '#herald/config'). */
export interface SipEdgeConfig {
  /** The SIP domain D; its own URI is `sip:D` (protocol.md §1). */
  domain: string;
  /** Stable per edge process (HERALD_EDGE_ID): names the outbound topic and the consumer group. */
  edgeId: string;
  /** Loopback by default; every listening transport binds here. */
  bindHost: string;
  ports: SipEdgePorts;
  /** Certificate and key for tls / wss. */
  tls?: SecureContextOptions;
  /** Shared by all edges so any edge verifies any other's nonce (HERALD_NONCE_SECRET). */
  nonceSecret: string;
  nonceLifetimeMs?: number;
  /** The 401's challenges, one per algorithm in this order (HERALD_DIGEST_ALGORITHMS); credentials of another are refused. */
  digestAlgorithms: readonly DigestAlgorithm[];
  /** REGISTER expiry below this gets 423 (HERALD_MIN_EXPIRES). */
  minExpires: number;
  /** Expiry used when the REGISTER names none (RFC 3261 §10.2.1.1 leaves the default to the registrar). */
  defaultExpires: number;
  /** Envelope bodies above this get 413 (HERALD_MAX_BODY_BYTES). */
  maxBodyBytes: number;
  /** RFC 3261 §17 timers (T1 small in tests) and the retransmission limit. */
  timers: TransactionTimerOptions;
  /**
   * How long each kind of request the edge holds open waits for its service's decision before 503;
   * each below the server transaction's life (64*T1).
   */
  decisionTimeoutsMs: DecisionTimeouts;
  /** Per-flow request rate. */
  rateLimit: RateLimit;
  /** Per-source and per-(account, source) abuse limits; absent: off (HERALD_SIP_THROTTLE_ENABLED=false). */
  throttle?: ThrottleLimits;
  /** Bearer token of the edge's admin endpoints (bans); absent: they refuse every request. */
  adminToken?: string;
  /** Retry-After seconds on 503 when the bus is unavailable or a decision timed out. */
  retryAfterSeconds: number;
  /** SO_RCVBUF asked for the UDP socket (HERALD_SIP_UDP_RECEIVE_BUFFER_BYTES); unset keeps the kernel default. */
  udpReceiveBufferBytes?: number;
  /** Keys the AOR hash of push spans (HERALD_AOR_HASH_KEY); hashAor's fixed key when absent. */
  aorHashKey?: string;
}

/** Expiry of a REGISTER that names none (RFC 3261 §10.2.1.1 leaves it to the registrar). */
export const DEFAULT_EXPIRES_SECONDS = 3600;

type SharedSettings = Pick<
  HeraldConfig,
  | 'domain'
  | 'edgeId'
  | 'sipBind'
  | 'sipUdpPort'
  | 'sipTcpPort'
  | 'sipTlsPort'
  | 'sipWsPort'
  | 'sipWssPort'
  | 'nonceSecret'
  | 'minExpires'
  | 'maxBodyBytes'
  | 'adminToken'
>;

/** The keys of '#herald/config' the edge reads (for `loadConfig`). */
export const SIP_EDGE_CONFIG_KEYS = [
  'domain',
  'edgeId',
  'sipBind',
  'sipUdpPort',
  'sipTcpPort',
  'sipTlsPort',
  'sipWsPort',
  'sipWssPort',
  'nonceSecret',
  'minExpires',
  'maxBodyBytes',
  'adminToken',
] as const satisfies readonly (keyof SharedSettings)[];

/**
 * The edge's config from the shared settings and its own (both from '#herald/config'); TLS and
 * WSS listen only when a certificate is given.
 */
export function sipEdgeConfigFrom(
  shared: SharedSettings,
  edge: SipEdgeSettings,
  tls?: SecureContextOptions,
): SipEdgeConfig {
  if (shared.nonceSecret === undefined) throw new RangeError('the edge needs HERALD_NONCE_SECRET');
  const timers: TransactionTimerOptions = {
    t1Ms: edge.t1Ms,
    t2Ms: edge.t2Ms,
    ...(edge.maxRetransmissions === undefined ? {} : { maxRetransmissions: edge.maxRetransmissions }),
  };
  return {
    domain: shared.domain,
    edgeId: shared.edgeId,
    bindHost: shared.sipBind,
    ports: {
      udp: shared.sipUdpPort,
      tcp: shared.sipTcpPort,
      ws: shared.sipWsPort,
      ...(tls === undefined ? {} : { tls: shared.sipTlsPort, wss: shared.sipWssPort }),
    },
    ...(tls === undefined ? {} : { tls }),
    nonceSecret: shared.nonceSecret,
    digestAlgorithms: edge.digestAlgorithms,
    minExpires: shared.minExpires,
    defaultExpires: DEFAULT_EXPIRES_SECONDS,
    maxBodyBytes: shared.maxBodyBytes,
    timers,
    decisionTimeoutsMs: {
      register: decisionTimeoutWithin('HERALD_SIP_REGISTER_TIMEOUT_MS', edge.registerTimeoutMs, timers),
      publish: decisionTimeoutWithin('HERALD_SIP_PUBLISH_TIMEOUT_MS', edge.publishTimeoutMs, timers),
      subscribe: decisionTimeoutWithin('HERALD_SIP_SUBSCRIBE_TIMEOUT_MS', edge.subscribeTimeoutMs, timers),
    },
    rateLimit: { burst: edge.rateBurst, perSecond: edge.ratePerSecond },
    ...(edge.throttleEnabled ? { throttle: throttleLimitsOf(edge) } : {}),
    ...(shared.adminToken === undefined ? {} : { adminToken: shared.adminToken }),
    retryAfterSeconds: edge.retryAfterSeconds,
    udpReceiveBufferBytes: edge.udpReceiveBufferBytes,
    ...(edge.aorHashKey === undefined ? {} : { aorHashKey: edge.aorHashKey }),
  };
}

function throttleLimitsOf(edge: SipEdgeSettings): ThrottleLimits {
  return {
    windowMs: edge.throttleWindowSeconds * 1000,
    sourceMaxRequests: edge.sourceMaxRequests,
    sourceMaxAuthFailures: edge.sourceMaxAuthFailures,
    banMs: edge.sourceBanSeconds * 1000,
    accountFreeFailures: edge.accountFreeFailures,
    accountBackoffMaxMs: edge.accountBackoffMaxSeconds * 1000,
    maxEntries: edge.throttleMaxEntries,
  };
}

/** The requests the edge holds open while a service decides, each with its own timeout. */
export type DecisionKind = 'register' | 'publish' | 'subscribe';
export type DecisionTimeouts = Readonly<Record<DecisionKind, number>>;

/**
 * A server transaction forgets an unanswered request after 64*T1 (libs/sip), so a decision
 * timeout at or above that would never become its 503 (the retransmission would meet a fresh
 * transaction and, for a REGISTER, a replayed nc). A longer setting is capped one T1 short of it,
 * with a warning.
 */
function decisionTimeoutWithin(
  variable: string,
  requestedMs: number,
  timerOptions: TransactionTimerOptions,
): number {
  const timers = resolveTransactionTimers(timerOptions);
  const capMs = timers.timeoutMs - timers.t1Ms;
  if (requestedMs <= capMs) return requestedMs;
  edgeLogger('SipEdgeConfig').warn(
    'EDGE_DECISION_TIMEOUT_CAPPED',
    `${variable}=${requestedMs} is not below the server transaction's ` +
      `life (64*T1 = ${timers.timeoutMs} ms); using ${capMs} ms`,
  );
  return capMs;
}
