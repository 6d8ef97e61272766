import { SecureContextOptions } from 'node:tls';
import { TransactionTimerOptions } from '#herald/sip';
import { RateLimit } from './flows/flow-rate-limiter';

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
  /** REGISTER expiry below this gets 423 (HERALD_MIN_EXPIRES). */
  minExpires: number;
  /** Expiry used when the REGISTER names none (RFC 3261 §10.2.1.1 leaves the default to the registrar). */
  defaultExpires: number;
  /** Envelope bodies above this get 413 (HERALD_MAX_BODY_BYTES). */
  maxBodyBytes: number;
  /** RFC 3261 §17 timers (T1 small in tests) and the retransmission limit. */
  timers: TransactionTimerOptions;
  /** How long a REGISTER waits for register.decided before 503. */
  registerDecisionTimeoutMs: number;
  /** Per-flow request rate. */
  rateLimit: RateLimit;
  /** Retry-After seconds on 503 when the bus is unavailable or a decision timed out. */
  retryAfterSeconds: number;
}

export const DEFAULT_DEFAULT_EXPIRES = 3600;
export const DEFAULT_REGISTER_DECISION_TIMEOUT_MS = 5_000;
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
export const DEFAULT_RATE_LIMIT: RateLimit = { burst: 50, perSecond: 20 };
