// The edge under test with its collaborators: real transports on 127.0.0.1, a real bus, and a
// tiny fake "auth" consumer that decides registrations (the real auth service is tested elsewhere).
import { randomBytes } from 'node:crypto';
import { EventBus, SubscriptionHandle } from '#herald/bus';
import {
  edgeOutboundRecord,
  registerDecidedV1,
  RegisterRequestedV1,
  registerRequestedV1,
  SIP_REGISTER_REQUESTED_V1,
} from '#herald/contracts';
import {
  type Clock,
  computeDigestResponse,
  DIGEST_ALGORITHMS,
  ha1,
  newTag,
  SipRequest,
  SipResponse,
  SystemClock,
  verifyDigestResponse,
} from '#herald/sip';
import { SipEdgeConfig, SipEdge } from '#herald/sip-edge';
import { uniqueGroupId } from '../support/topics';
import { SipPeer } from './sip-peer';

export const D = 'herald.test';
export const PASSWORD = 'secret';
/** Short RFC 3261 timers keep the retransmission test fast: E doubles 40, 80, 160, 320 ms; F at 64*T1. */
export const TEST_T1_MS = 40;
export const TEST_T2_MS = 320;

export function edgeConfig(overrides: Partial<SipEdgeConfig> = {}): SipEdgeConfig {
  return {
    domain: D,
    edgeId: `edge-${randomBytes(4).toString('hex')}`,
    bindHost: '127.0.0.1',
    ports: { udp: 0, tcp: 0, ws: 0 },
    nonceSecret: 'integration-secret',
    digestAlgorithms: DIGEST_ALGORITHMS,
    minExpires: 60,
    defaultExpires: 3600,
    maxBodyBytes: 8192,
    timers: { t1Ms: TEST_T1_MS, t2Ms: TEST_T2_MS, t4Ms: TEST_T2_MS },
    decisionTimeoutsMs: { register: 3_000, publish: 3_000, subscribe: 3_000 },
    rateLimit: { burst: 200, perSecond: 100 },
    retryAfterSeconds: 5,
    ...overrides,
  };
}

/**
 * Decides REGISTERs as auth would, for one password: checks the digest response against the HA1,
 * keeps the AOR's bindings, publishes register.decided to the edge that asked.
 */
export class FakeAuth {
  readonly requests: RegisterRequestedV1[] = [];
  private readonly bindings = new Map<string, Map<string, number>>();
  private handle: SubscriptionHandle | undefined;

  constructor(
    private readonly bus: EventBus,
    /** Only this edge's requests: on a shared broker other tests' auth services decide theirs. */
    private readonly edgeId: string,
  ) {}

  async start(): Promise<void> {
    await this.bus.ensureTopics([SIP_REGISTER_REQUESTED_V1]);
    this.handle = await this.bus.subscribe({
      groupId: uniqueGroupId('fake-auth'),
      topics: [SIP_REGISTER_REQUESTED_V1],
      handler: async (record) => {
        const request = registerRequestedV1.decode(record.value);
        if (request.edgeId === this.edgeId) await this.decide(request);
      },
    });
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
  }

  private async decide(request: RegisterRequestedV1): Promise<void> {
    this.requests.push(request);
    const { digest } = request;
    const correct = verifyDigestResponse({
      ha1: ha1(digest.algorithm, digest.username, digest.realm, PASSWORD),
      algorithm: digest.algorithm,
      method: 'REGISTER',
      uri: digest.uri,
      nonce: digest.nonce,
      nc: digest.nc,
      cnonce: digest.cnonce,
      qop: digest.qop,
      response: digest.response,
    });
    const bindings = this.bindings.get(request.aor) ?? new Map<string, number>();
    if (correct) {
      if (request.star) bindings.clear();
      for (const contact of request.contacts) {
        if (contact.expires === 0) bindings.delete(contact.uri);
        else bindings.set(contact.uri, contact.expires);
      }
      this.bindings.set(request.aor, bindings);
    }
    const decision = registerDecidedV1.build({
      txKey: request.txKey,
      aor: request.aor,
      status: correct ? 200 : 401,
      contacts: [...bindings].map(([uri, expires]) => ({ uri, expires })),
    });
    await this.bus.publish([edgeOutboundRecord(request.edgeId, decision)]);
  }
}

/**
 * The real clock (wall time, Node timers) whose time a test moves forward: a lifetime passes at
 * once instead of being waited out.
 */
export class AdvancingClock extends SystemClock {
  private aheadMs = 0;

  override now(): number {
    return super.now() + this.aheadMs;
  }

  advance(ms: number): void {
    this.aheadMs += ms;
  }
}

/** Starts an edge (on `clock`, the system clock by default) and the fake auth deciding its REGISTERs. */
export async function startEdge(
  bus: EventBus,
  overrides: Partial<SipEdgeConfig> = {},
  clock?: Clock,
): Promise<{ edge: SipEdge; auth: FakeAuth }> {
  const edge = new SipEdge({ bus, config: edgeConfig(overrides), ...(clock === undefined ? {} : { clock }) });
  const auth = new FakeAuth(bus, edge.config.edgeId);
  await auth.start();
  await edge.start();
  return { edge, auth };
}

/** The edge's listening port for a peer's transport. */
export function edgePort(edge: SipEdge, transport: 'udp' | 'tcp' | 'ws'): number {
  const address = edge.addresses[transport];
  if (address === undefined) throw new Error(`edge does not listen on ${transport}`);
  return address.port;
}

export interface RequestOptions {
  uri?: string;
  from?: string;
  to?: string;
  headers?: [string, string][];
  body?: string;
  /** Reuse a branch to send a retransmission. */
  branch?: string;
}

/** A device: one user on one peer, building requests (RFC 3261 §8.1.1) and awaiting their final responses. */
export class Device {
  private cseq = 0;
  readonly callId = `${randomBytes(6).toString('hex')}@127.0.0.1`;
  private readonly fromTag = newTag();

  constructor(
    readonly peer: SipPeer,
    readonly user: string,
  ) {}

  get aor(): string {
    return `sip:${this.user}@${D}`;
  }

  build(method: string, options: RequestOptions = {}): SipRequest {
    const transport = this.peer.transport.toUpperCase();
    const headers: [string, string][] = [
      [
        'Via',
        `SIP/2.0/${transport} 127.0.0.1:9;branch=${options.branch ?? `z9hG4bK${randomBytes(6).toString('hex')}`};rport`,
      ],
      ['Max-Forwards', '70'],
      ['From', `<${options.from ?? this.aor}>;tag=${this.fromTag}`],
      ['To', `<${options.to ?? `sip:${D}`}>`],
      ['Call-ID', this.callId],
      ['CSeq', `${++this.cseq} ${method}`],
      ...(options.headers ?? []),
    ];
    return new SipRequest({ method, uri: options.uri ?? `sip:${D}`, headers, body: options.body });
  }

  /** Sends and resolves with the final response of this request (matched by Call-ID and CSeq). */
  async send(request: SipRequest): Promise<SipResponse> {
    const from = this.peer.received.length;
    await this.peer.send(request);
    return this.finalResponseTo(request, from);
  }

  async finalResponseTo(request: SipRequest, from = 0): Promise<SipResponse> {
    const seq = request.cseq?.seq;
    const { message } = await this.peer.next(
      (m) => m.kind === 'response' && m.status >= 200 && m.callId === this.callId && m.cseq?.seq === seq,
      from,
    );
    return message as SipResponse;
  }

  registerRequest(
    options: {
      expires?: number;
      authorization?: string;
      headers?: [string, string][];
      /** Header parameters of the Contact (`;+sip.instance="<urn:…>"`). */
      contactParams?: string;
    } = {},
  ): SipRequest {
    return this.build('REGISTER', {
      to: this.aor,
      headers: [
        ['Contact', `<${this.peer.contact(this.user)}>${options.contactParams ?? ''}`],
        ...(options.expires === undefined ? [] : [['Expires', String(options.expires)] as [string, string]]),
        ...(options.authorization === undefined
          ? []
          : [['Authorization', options.authorization] as [string, string]]),
        ...(options.headers ?? []),
      ],
    });
  }

  /** RFC 7616 §3.4 credentials answering `challenge` (SHA-256 or MD5 as chosen). */
  authorization(
    challenge: SipResponse,
    options: { nc?: string; algorithm?: 'SHA-256' | 'MD5'; password?: string } = {},
  ): string {
    const algorithm = options.algorithm ?? 'SHA-256';
    const offered = challenge.wwwAuthenticate.find((c) => c.params.get('algorithm') === algorithm);
    const nonce = offered?.params.get('nonce');
    if (nonce === undefined) throw new Error(`no ${algorithm} challenge`);
    const nc = options.nc ?? '00000001';
    const cnonce = randomBytes(4).toString('hex');
    const uri = `sip:${D}`;
    const response = computeDigestResponse({
      ha1: ha1(algorithm, this.user, D, options.password ?? PASSWORD),
      algorithm,
      method: 'REGISTER',
      uri,
      nonce,
      nc,
      cnonce,
      qop: 'auth',
    });
    return `Digest username="${this.user}", realm="${D}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
  }

  /** REGISTER, 401, REGISTER with credentials: resolves with the final response. */
  async register(expires = 600): Promise<SipResponse> {
    const challenge = await this.send(this.registerRequest({ expires }));
    return this.send(this.registerRequest({ expires, authorization: this.authorization(challenge) }));
  }

  /** An envelope command over INFO (protocol.md §2). */
  infoRequest(body: string, headers: [string, string][] = []): SipRequest {
    return this.build('INFO', {
      body,
      headers: [['Info-Package', 'herald'], ['Content-Type', 'application/vnd.herald+json'], ...headers],
    });
  }
}
