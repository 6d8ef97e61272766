// A SIP device for the end-to-end tests, built on libs/sip: real sockets on 127.0.0.1, libs/sip's
// non-INVITE client transactions (so UDP requests are retransmitted as RFC 3261 17.1.2 says),
// digest answers computed with libs/sip's functions, and every push kept with its arrival times.
import { randomUUID } from 'node:crypto';
import {
  createResponse,
  type DigestAlgorithm,
  newBranch,
  newTag,
  NonInviteClientTransaction,
  requestClientKey,
  resolveTransactionTimers,
  responseClientKey,
  serializeMessage,
  SipParseError,
  SipRequest,
  type SipResponse,
  type TransportAddress,
  TransportError,
  viaTransportToken,
} from '#herald/sip';
import { ClientClock } from './client-clock';
import { type ClientFlow, type ClientInbound, type ClientProtocol, openClientFlow } from './client-transport';
import { authorizationHeader, challengeFor, type DigestChallenge } from './digest';

export const HERALD_CONTENT_TYPE = 'application/vnd.herald+json';
/** How long a test waits for a push or a response unless it says otherwise. */
export const DEFAULT_WAIT_MS = 10_000;
const MAX_FORWARDS = '70';
const DEFAULT_EXPIRES_SECONDS = 3600;

export type Carrier = 'INFO' | 'MESSAGE';
/** An envelope as sent or received: `{v, id, type, ...}` (protocol.md §3). */
export type Envelope = { type: string; [field: string]: unknown };

export interface SipClientOptions {
  protocol: ClientProtocol;
  /** Herald's listener for `protocol`. */
  server: TransportAddress;
  domain: string;
  user: string;
  password: string;
  /** Which of Herald's two challenges to answer (default SHA-256). */
  algorithm?: DigestAlgorithm;
  /** RFC 3261 T1 of this client's own UDP retransmissions. */
  t1Ms?: number;
  /** The loopback address to send from (UDP, TCP, TLS): 127.0.0.1 by default. */
  localAddress?: string;
}

/** A request Herald sent to this device (a push), with every arrival of it (retransmissions). */
export interface ReceivedPush {
  request: SipRequest;
  method: string;
  branch: string;
  /** The JSON envelope, when the body is one. */
  envelope: Envelope | undefined;
  /** performance.now() of the first arrival and of each retransmission. */
  arrivals: number[];
}

/** How the device answers pushes: `ok` with 200 at once, `never` to let Herald's transaction time out. */
export type PushAnswer = 'ok' | 'never';

export class SipClientError extends Error {
  constructor(
    readonly code: 'SIP_CLIENT_TIMEOUT' | 'SIP_CLIENT_TRANSPORT' | 'SIP_CLIENT_UNEXPECTED',
    message: string,
  ) {
    super(message);
    this.name = 'SipClientError';
  }
}

export interface RequestOptions {
  /** Request-URI; `sip:D` by default. */
  uri?: string;
  /** From URI; the client's AOR by default (a spoofing test sets another). */
  from?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: string;
  callId?: string;
  /** The To header value; `<sip:D>` by default (the AOR for REGISTER). An in-dialog request gives the tag. */
  to?: string;
}

export interface RegisterOptions {
  expires?: number;
  /** Answer the 401 with this algorithm instead of the client's own. */
  algorithm?: DigestAlgorithm;
  /** Password to answer with (a wrong one in tests). */
  password?: string;
}

/** One device: one flow to Herald, one AOR. */
export class SipClient {
  readonly aor: string;
  readonly pushes: ReceivedPush[] = [];
  /** Responses no transaction of this client waited for (answers to raw bytes). */
  readonly strayResponses: SipResponse[] = [];
  /** Messages the client could not parse. */
  readonly invalidInbound: SipParseError[] = [];
  /** Answers to pushes that could not be sent (a test asserts there are none). */
  readonly sendErrors: Error[] = [];
  pushAnswer: PushAnswer = 'ok';
  /** The last challenge answered and its nonce count, for replay tests. */
  lastChallenge: DigestChallenge | undefined;
  private nonceCount = 0;
  private readonly registerCallId = `${randomUUID()}@herald-test`;
  private readonly fromTag = newTag();
  private cseq = 0;
  private readonly clock = new ClientClock();
  private readonly transactions = new Map<string, NonInviteClientTransaction<SipResponse>>();
  private readonly answers = new Map<string, SipResponse>();
  private waiters: (() => void)[] = [];
  private flow!: ClientFlow;
  private readonly timers;
  /** Why the flow is gone (edge reset or closed it, or close()); set once, then requests fail fast. */
  private lostWith: TransportError | undefined;
  /** Rejects of the requests still waiting for their transaction's outcome. */
  private readonly pendingRequests = new Set<(error: SipClientError) => void>();

  private constructor(readonly options: SipClientOptions) {
    this.aor = `sip:${options.user}@${options.domain}`;
    this.timers = resolveTransactionTimers(options.t1Ms === undefined ? {} : { t1Ms: options.t1Ms });
  }

  static async open(options: SipClientOptions): Promise<SipClient> {
    const client = new SipClient(options);
    client.flow = await openClientFlow(
      options.protocol,
      options.server,
      (inbound) => client.receive(inbound),
      (reason) => client.flowLost(reason),
      options.localAddress,
    );
    return client;
  }

  /** True once the client's connection is gone: closed here, or reset or closed by Herald. */
  get closed(): boolean {
    return this.lostWith !== undefined;
  }

  get protocol(): ClientProtocol {
    return this.options.protocol;
  }

  /** The Contact URI this device registers. */
  get contactUri(): string {
    const transport = this.protocol === 'udp' ? '' : `;transport=${this.protocol}`;
    return `sip:${this.options.user}@${this.flow.sentBy}${transport}`;
  }

  /** REGISTER answering the digest challenge; resolves with the final response after the challenge. */
  async register(options: RegisterOptions = {}): Promise<SipResponse> {
    const expires = options.expires ?? DEFAULT_EXPIRES_SECONDS;
    const first = await this.sendRegister(expires);
    if (first.status !== 401) return first;
    this.lastChallenge = challengeFor(first, options.algorithm ?? this.options.algorithm ?? 'SHA-256');
    this.nonceCount = 0;
    return this.sendRegister(expires, this.nextAuthorization(options.password));
  }

  /** A refresh reuses the current nonce with the next nonce count (RFC 7616 §3.4), re-challenged if stale. */
  async refresh(expires = DEFAULT_EXPIRES_SECONDS): Promise<SipResponse> {
    if (this.lastChallenge === undefined) return this.register({ expires });
    const response = await this.sendRegister(expires, this.nextAuthorization());
    return response.status === 401 ? this.register({ expires }) : response;
  }

  unregister(): Promise<SipResponse> {
    return this.refresh(0);
  }

  /** A REGISTER with exactly this Authorization (or none): for stale and replay tests. */
  sendRegister(expires: number, authorization?: string): Promise<SipResponse> {
    const headers: [string, string][] = [
      ['Contact', `<${this.contactUri}>`],
      ['Expires', String(expires)],
    ];
    if (authorization !== undefined) headers.push(['Authorization', authorization]);
    return this.request('REGISTER', {
      uri: this.registrarUri,
      headers,
      callId: this.registerCallId,
    });
  }

  /** Authorization for the last challenge with an explicit nonce count (a replay reuses an old one). */
  authorization(nc: number, challenge = this.lastChallenge, password = this.options.password): string {
    if (challenge === undefined) {
      throw new SipClientError('SIP_CLIENT_UNEXPECTED', 'no challenge to answer yet: register first');
    }
    return authorizationHeader({
      challenge,
      username: this.options.user,
      password,
      method: 'REGISTER',
      uri: this.registrarUri,
      nc,
    });
  }

  get currentNonceCount(): number {
    return this.nonceCount;
  }

  /** Sends an envelope command (INFO with Info-Package: herald, or MESSAGE); resolves with the final response. */
  command(envelope: Envelope, carrier: Carrier = 'INFO', options: RequestOptions = {}): Promise<SipResponse> {
    const headers: [string, string][] = [['Content-Type', HERALD_CONTENT_TYPE]];
    if (carrier === 'INFO') headers.push(['Info-Package', 'herald']);
    return this.request(carrier, {
      ...options,
      headers: [...headers, ...(options.headers ?? [])],
      body: options.body ?? JSON.stringify(envelope),
    });
  }

  /** Any request from this device to `sip:D` through a libs/sip client transaction. */
  async request(method: string, options: RequestOptions = {}): Promise<SipResponse> {
    if (this.lostWith !== undefined) {
      throw new SipClientError('SIP_CLIENT_TRANSPORT', `${method}: ${this.lostWith.message}`);
    }
    const request = this.buildRequest(method, options);
    const key = requestClientKey(request);
    const transaction = new NonInviteClientTransaction<SipResponse>({
      key,
      flow: this.flow,
      request: serializeMessage(request),
      clock: this.clock,
      timers: this.timers,
      onTerminated: (terminated) => this.transactions.delete(terminated),
    });
    this.transactions.set(key, transaction);
    transaction.start();
    // A reliable flow that dies sends nothing more, so the transaction alone would wait for Timer F.
    let failRequest: (error: SipClientError) => void = () => undefined;
    const flowLost = new Promise<never>((_, reject) => (failRequest = reject));
    this.pendingRequests.add(failRequest);
    const outcome = await Promise.race([transaction.outcome, flowLost]).finally(() =>
      this.pendingRequests.delete(failRequest),
    );
    if (outcome.kind === 'answered') return outcome.response;
    if (outcome.kind === 'timed-out') {
      throw new SipClientError('SIP_CLIENT_TIMEOUT', `${method}: no final response within Timer F`);
    }
    throw new SipClientError('SIP_CLIENT_TRANSPORT', `${method}: ${outcome.error.message}`);
  }

  /** Bytes as they are (malformed SIP); answers arrive in strayResponses. */
  sendRaw(data: string | Buffer): Promise<void> {
    return this.flow.send(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** A Via for a hand-written request from this flow. */
  viaHeader(branch: string = newBranch()): string {
    return `SIP/2.0/${viaTransportToken(this.protocol)} ${this.flow.sentBy};branch=${branch};rport`;
  }

  /** The first push (from index `from` on) that matches; waits for it up to `timeoutMs`. */
  waitForPush(
    match: string | ((push: ReceivedPush) => boolean),
    timeoutMs = DEFAULT_WAIT_MS,
    from = 0,
  ): Promise<ReceivedPush> {
    const predicate =
      typeof match === 'string' ? (push: ReceivedPush) => push.envelope?.type === match : match;
    const what = typeof match === 'string' ? `a ${match} push` : 'a matching push';
    return this.waitUntil(() => this.pushes.slice(from).find(predicate), timeoutMs, `${what} to ${this.aor}`);
  }

  /** Envelopes of every push so far of `type`. */
  envelopesOf(type: string): Envelope[] {
    return this.pushes.flatMap((push) => (push.envelope?.type === type ? [push.envelope] : []));
  }

  /** Resolves with what `find` returns once it returns something; rejects after `timeoutMs`. */
  async waitUntil<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new SipClientError('SIP_CLIENT_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Timers of its transactions still pending (none once the flow is gone). */
  get pendingTimers(): number {
    return this.clock.pendingTimers;
  }

  async close(): Promise<void> {
    await this.flow.close();
    this.flowLost(new TransportError('flow-closed', 'the client closed its flow'));
  }

  private flowLost(reason: TransportError): void {
    if (this.lostWith !== undefined) return;
    this.lostWith = reason;
    for (const fail of this.pendingRequests) {
      fail(
        new SipClientError('SIP_CLIENT_TRANSPORT', `request pending when the flow ended: ${reason.message}`),
      );
    }
    this.pendingRequests.clear();
    // The transactions die with the flow: no retransmission, Timer F or K outlives the client.
    this.clock.clearAll();
    this.transactions.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }

  private get registrarUri(): string {
    return `sip:${this.options.domain}`;
  }

  private nextAuthorization(password?: string): string {
    this.nonceCount += 1;
    return this.authorization(this.nonceCount, this.lastChallenge, password ?? this.options.password);
  }

  private buildRequest(method: string, options: RequestOptions): SipRequest {
    this.cseq += 1;
    const headers: (readonly [string, string])[] = [
      ['Via', this.viaHeader()],
      ['Max-Forwards', MAX_FORWARDS],
      ['From', `<${options.from ?? this.aor}>;tag=${this.fromTag}`],
      ['To', options.to ?? (method === 'REGISTER' ? `<${this.aor}>` : `<sip:${this.options.domain}>`)],
      ['Call-ID', options.callId ?? `${randomUUID()}@herald-test`],
      ['CSeq', `${this.cseq} ${method}`],
      ...(options.headers ?? []),
    ];
    return new SipRequest({ method, uri: options.uri ?? this.registrarUri, headers, body: options.body });
  }

  private receive(inbound: ClientInbound): void {
    if ('invalid' in inbound) this.invalidInbound.push(inbound.invalid);
    else if (inbound.message.kind === 'response') this.receiveResponse(inbound.message);
    else this.receivePush(inbound.message);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private receiveResponse(response: SipResponse): void {
    const transaction = this.transactions.get(responseClientKey(response));
    if (transaction === undefined) this.strayResponses.push(response);
    else transaction.receiveResponse(response.status, response);
  }

  private receivePush(request: SipRequest): void {
    const branch = request.topVia?.params.get('branch') ?? '';
    const now = performance.now();
    const known = this.pushes.find((push) => push.branch === branch && push.method === request.method);
    if (known !== undefined) {
      known.arrivals.push(now);
    } else {
      this.pushes.push({
        request,
        method: request.method,
        branch,
        envelope: envelopeOf(request),
        arrivals: [now],
      });
    }
    if (this.pushAnswer === 'never') return;
    // A retransmission gets the same final response again (RFC 3261 17.2.2).
    let answer = this.answers.get(branch);
    if (answer === undefined) {
      answer = createResponse(request, 200);
      this.answers.set(branch, answer);
    }
    this.flow.send(serializeMessage(answer)).catch((error: unknown) => {
      this.sendErrors.push(error instanceof Error ? error : new Error(String(error)));
    });
  }
}

function envelopeOf(request: SipRequest): Envelope | undefined {
  if (request.headers.get('content-type')?.toLowerCase() !== HERALD_CONTENT_TYPE) return undefined;
  const parsed: unknown = JSON.parse(request.bodyText);
  return typeof parsed === 'object' && parsed !== null && 'type' in parsed ? (parsed as Envelope) : undefined;
}
