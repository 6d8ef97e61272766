// One SIP device in Node on libs/sip: a flow (UDP, TCP, TLS or WebSocket), libs/sip's non-INVITE client
// transactions (RFC 3261 17.1.2: Timer E doubling from T1 to T2 over UDP, Timer F everywhere), REGISTER
// with digest, and requests from Herald answered once and answered again, with the same response, when
// they are retransmitted (RFC 3261 17.2.2). The SDK's node carrier and the repository's tests use it.
import { randomUUID } from 'node:crypto';
import type { DigestAlgorithm } from '../../../sip/src/auth/algorithm';
import {
  createResponse,
  createResponseFrom,
  newTag,
  serializeMessage,
  type SipParseError,
  SipRequest,
  type SipResponse,
} from '../../../sip/src/message';
import { newBranch } from '../../../sip/src/transaction/keys';
import { requestClientKey, responseClientKey } from '../../../sip/src/transaction/message-keys';
import { NonInviteClientTransaction } from '../../../sip/src/transaction/non-invite-client';
import { resolveTransactionTimers, type TransactionTimerOptions } from '../../../sip/src/transaction/timers';
import { type TransportAddress, viaTransportToken } from '../../../sip/src/transport/address';
import { TransportError } from '../../../sip/src/transport/transport-error';
import { ENVELOPE_CONTENT_TYPE } from '../protocol';
import { ClientClock } from './client-clock';
import { authorizationHeader, challengeFor, type DigestChallenge } from './digest';
import { openSipFlow, type SipFlow, type SipFlowOptions, type SipFlowProtocol } from './sip-flow';

const MAX_FORWARDS = '70';
const DEFAULT_EXPIRES_SECONDS = 3600;
/**
 * Answers kept for retransmitted requests. Over UDP Herald retransmits a push for up to Timer F
 * (32 s); an answer pushed out of this window is rebuilt by the handler (which de-duplicates by id).
 */
const ANSWER_CACHE_SIZE = 512;

export type SipCarrierMethod = 'INFO' | 'MESSAGE';

export interface SipDeviceOptions extends SipFlowOptions {
  protocol: SipFlowProtocol;
  /** Herald's listener for `protocol`. */
  server: TransportAddress;
  domain: string;
  user: string;
  password: string;
  /** Which of Herald's challenges to answer; by default the first one offered that is SHA-256 or MD5. */
  algorithm?: DigestAlgorithm;
  /** RFC 3261 timers of this device's own requests (T1 500 ms, T2 4 s, Timer F 64*T1 by default). */
  timers?: TransactionTimerOptions;
}

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
  /** From URI; the device's AOR by default. */
  from?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: string;
  callId?: string;
  /** The To header value; `<sip:D>` by default (the AOR for REGISTER). */
  to?: string;
}

export interface RegisterOptions {
  expires?: number;
  /** Answer the 401 with this algorithm instead of the device's own choice. */
  algorithm?: DigestAlgorithm;
  /** Password to answer with (another one than the device's, to test a refusal). */
  password?: string;
}

/**
 * One device: one flow to Herald, one AOR. Subclasses say what to do with what Herald sends by
 * overriding the protected hooks at the end; `open()` connects the flow.
 */
export class SipDevice {
  readonly aor: string;
  /** The last challenge answered and its nonce count. */
  lastChallenge: DigestChallenge | undefined;
  private nonceCount = 0;
  private readonly registerCallId = `${randomUUID()}@herald-client`;
  private readonly fromTag = newTag();
  private cseq = 0;
  private readonly clock = new ClientClock();
  private readonly transactions = new Map<string, NonInviteClientTransaction<SipResponse>>();
  /** Serialized answers by branch and method, oldest first. */
  private readonly answers = new Map<string, Buffer>();
  private flow!: SipFlow;
  private readonly timers;
  /** Why the flow is gone; set once, then requests fail fast. */
  private lostWith: TransportError | undefined;
  /** Rejects of the requests still waiting for their transaction's outcome. */
  private readonly pendingRequests = new Set<(error: SipClientError) => void>();

  constructor(readonly options: SipDeviceOptions) {
    this.aor = `sip:${options.user}@${options.domain}`;
    this.timers = resolveTransactionTimers(options.timers);
  }

  /** Opens the flow (binds the UDP socket, or connects); rejects when that fails. */
  async open(): Promise<void> {
    this.flow = await openSipFlow(
      this.options.protocol,
      this.options.server,
      (inbound) =>
        'invalid' in inbound ? this.receiveInvalid(inbound.invalid) : this.receive(inbound.message),
      (reason) => this.flowLost(reason),
      this.options,
    );
  }

  /** True once the flow is gone: closed here, or reset or closed by Herald. */
  get closed(): boolean {
    return this.lostWith !== undefined;
  }

  get protocol(): SipFlowProtocol {
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
    this.lastChallenge = challengeFor(first, options.algorithm ?? this.options.algorithm);
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
    return this.request('REGISTER', { uri: this.registrarUri, headers, callId: this.registerCallId });
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

  /** Sends a JSON envelope as INFO (with Info-Package: herald) or MESSAGE; resolves with the final response. */
  sendEnvelope(
    body: string,
    method: SipCarrierMethod = 'INFO',
    options: RequestOptions = {},
  ): Promise<SipResponse> {
    const headers: [string, string][] = [['Content-Type', ENVELOPE_CONTENT_TYPE]];
    if (method === 'INFO') headers.push(['Info-Package', 'herald']);
    return this.request(method, { ...options, headers: [...headers, ...(options.headers ?? [])], body });
  }

  /** Any request from this device (to `sip:D` by default) through a libs/sip client transaction. */
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

  /** Bytes as they are (malformed SIP in tests); answers arrive at onStrayResponse. */
  sendRaw(data: string | Buffer): Promise<void> {
    return this.flow.send(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** A Via for a request from this flow. */
  viaHeader(branch: string = newBranch()): string {
    return `SIP/2.0/${viaTransportToken(this.protocol)} ${this.flow.sentBy};branch=${branch};rport`;
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
    // The transactions die with the flow: no retransmission, Timer F or K outlives the device.
    this.clock.clearAll();
    this.transactions.clear();
    this.flowEnded(reason);
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
      ['Call-ID', options.callId ?? `${randomUUID()}@herald-client`],
      ['CSeq', `${this.cseq} ${method}`],
      ...(options.headers ?? []),
    ];
    return new SipRequest({ method, uri: options.uri ?? this.registrarUri, headers, body: options.body });
  }

  private receive(message: SipRequest | SipResponse): void {
    this.dispatch(message);
    this.messageReceived();
  }

  private dispatch(message: SipRequest | SipResponse): void {
    if (message.kind === 'response') {
      const transaction = this.transactions.get(responseClientKey(message));
      if (transaction === undefined) this.strayResponse(message);
      else transaction.receiveResponse(message.status, message);
      return;
    }
    // RFC 3261 17.2.2: a retransmission gets the same final response again, and is not processed again.
    const key = `${message.topVia?.params.get('branch') ?? ''} ${message.method}`;
    const kept = this.answers.get(key);
    if (kept !== undefined) {
      this.requestRepeated(message);
      this.sendAnswer(kept);
      return;
    }
    const answer = this.answerRequest(message);
    if (answer === undefined) return;
    const bytes = serializeMessage(answer);
    this.answers.set(key, bytes);
    // A Map iterates in insertion order: the first entry is the oldest.
    if (this.answers.size > ANSWER_CACHE_SIZE)
      this.answers.delete(this.answers.keys().next().value as string);
    this.sendAnswer(bytes);
  }

  /** A request that could be read far enough to answer gets a 400 naming the problem (RFC 3261 §8.2). */
  private receiveInvalid(error: SipParseError): void {
    this.invalidMessage(error);
    this.messageReceived();
    const partial = error.partial;
    if (partial?.method === undefined || partial.via.length === 0) return;
    this.sendAnswer(
      serializeMessage(createResponseFrom(partial, 400, { reason: `Bad Request (${error.reason})` })),
    );
  }

  private sendAnswer(bytes: Buffer): void {
    this.flow.send(bytes).catch((cause: unknown) => this.answerNotSent(asError(cause)));
  }

  /**
   * A request from Herald with no answer yet (its first arrival, or a repeat of one left
   * unanswered): the response to send, kept for its retransmissions, or undefined to send none.
   */
  protected answerRequest(request: SipRequest): SipResponse | undefined {
    return defaultAnswer(request);
  }

  /** A retransmission of a request already answered: the kept answer was sent again. */
  protected requestRepeated(_request: SipRequest): void {}

  /** A response no transaction of this device waited for (an answer to raw bytes). */
  protected strayResponse(_response: SipResponse): void {}

  /** Bytes libs/sip could not parse (a request among them was answered 400 when it could be). */
  protected invalidMessage(_error: SipParseError): void {}

  /** After each message from Herald has been handled (and after invalid bytes). */
  protected messageReceived(): void {}

  /** The flow is gone: the connection reset or closed, or close(). Later requests fail at once. */
  protected flowEnded(_reason: TransportError): void {}

  /** An answer to Herald could not be sent. */
  protected answerNotSent(_error: Error): void {}
}

/** What a device that serves nothing answers: OPTIONS (a keep-alive probe) 200, anything else 501. */
export function defaultAnswer(request: SipRequest): SipResponse {
  return createResponse(request, request.method === 'OPTIONS' ? 200 : 501);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
