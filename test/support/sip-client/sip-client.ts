// A SIP device for the end-to-end tests, on the SDK's SipDevice (libs/client/src/node): real sockets
// on 127.0.0.1, libs/sip's non-INVITE client transactions (so UDP requests are retransmitted as RFC
// 3261 17.1.2 says), digest answers computed with libs/sip's functions; this adds every push kept with
// its arrival times, the answering policy tests need, and waiting for pushes.
import { type RequestOptions, SipClientError, SipDevice, type SipFlowProtocol } from '#herald/client/node';
import {
  createResponse,
  type DigestAlgorithm,
  type SipParseError,
  type SipRequest,
  type SipResponse,
  type TransportAddress,
} from '#herald/sip';

export { SipClientError, type RegisterOptions, type RequestOptions } from '#herald/client/node';

export const HERALD_CONTENT_TYPE = 'application/vnd.herald+json';
/** How long a test waits for a push or a response unless it says otherwise. */
export const DEFAULT_WAIT_MS = 10_000;

export type ClientProtocol = Exclude<SipFlowProtocol, 'wss'>;
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

/** One device: one flow to Herald, one AOR. */
export class SipClient extends SipDevice {
  readonly pushes: ReceivedPush[] = [];
  /** Responses no transaction of this client waited for (answers to raw bytes). */
  readonly strayResponses: SipResponse[] = [];
  /** Messages the client could not parse. */
  readonly invalidInbound: SipParseError[] = [];
  /** Answers to pushes that could not be sent (a test asserts there are none). */
  readonly sendErrors: Error[] = [];
  pushAnswer: PushAnswer = 'ok';
  private waiters: (() => void)[] = [];

  private constructor(options: SipClientOptions) {
    super({
      protocol: options.protocol,
      server: options.server,
      domain: options.domain,
      user: options.user,
      password: options.password,
      algorithm: options.algorithm ?? 'SHA-256',
      timers: options.t1Ms === undefined ? {} : { t1Ms: options.t1Ms },
      // The tests' TLS listener has the embedded default's self-signed certificate: not checked here.
      tls: { rejectUnauthorized: false },
      localAddress: options.localAddress ?? '127.0.0.1',
    });
  }

  static async open(options: SipClientOptions): Promise<SipClient> {
    const client = new SipClient(options);
    await client.open();
    return client;
  }

  /** Sends an envelope command (INFO with Info-Package: herald, or MESSAGE); resolves with the final response. */
  command(envelope: Envelope, carrier: Carrier = 'INFO', options: RequestOptions = {}): Promise<SipResponse> {
    return this.sendEnvelope(options.body ?? JSON.stringify(envelope), carrier, options);
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

  protected override answerRequest(request: SipRequest): SipResponse | undefined {
    this.recordArrival(request);
    // A retransmission of a push left unanswered comes here again; once answered, the answer is kept.
    return this.pushAnswer === 'never' ? undefined : createResponse(request, 200);
  }

  protected override requestRepeated(request: SipRequest): void {
    this.recordArrival(request);
  }

  protected override strayResponse(response: SipResponse): void {
    this.strayResponses.push(response);
  }

  protected override invalidMessage(error: SipParseError): void {
    this.invalidInbound.push(error);
  }

  protected override messageReceived(): void {
    this.wake();
  }

  protected override flowEnded(): void {
    this.wake();
  }

  protected override answerNotSent(error: Error): void {
    this.sendErrors.push(error);
  }

  private recordArrival(request: SipRequest): void {
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
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

function envelopeOf(request: SipRequest): Envelope | undefined {
  if (request.headers.get('content-type')?.toLowerCase() !== HERALD_CONTENT_TYPE) return undefined;
  const parsed: unknown = JSON.parse(request.bodyText);
  return typeof parsed === 'object' && parsed !== null && 'type' in parsed ? (parsed as Envelope) : undefined;
}
