import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  computeDigestResponse,
  createResponse,
  ha1,
  parseDigestAlgorithm,
  parseMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serializeMessage,
} from '#herald/sip';

/** Longest wait for a final response: RFC 3261 Timer F with T1 = 500 ms. */
const RESPONSE_TIMEOUT_MS = 32_000;
/** RFC 3261 §17.1.2.2 Timer E: a non-INVITE request over UDP is sent again after T1, doubling up to T2. */
const T1_MS = 500;
const T2_MS = 4_000;
/** Loopback only: every device socket binds and sends here. */
export const LOOPBACK = '127.0.0.1';
export const HERALD_CONTENT_TYPE = 'application/vnd.herald+json';

export class BenchDeviceError extends Error {
  constructor(
    readonly code: 'BENCH_TIMEOUT' | 'BENCH_REFUSED' | 'BENCH_UNAVAILABLE' | 'BENCH_NO_CHALLENGE',
    message: string,
    /** A 503's Retry-After (RFC 3261 §21.5.4), when it had one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** A final response other than the expected one: 503 is BENCH_UNAVAILABLE (with its Retry-After), else `code`. */
  static answered(
    what: string,
    response: SipResponse,
    code: 'BENCH_REFUSED' | 'BENCH_NO_CHALLENGE' = 'BENCH_REFUSED',
  ): BenchDeviceError {
    const message = `${what}: ${response.status} ${response.reason}`;
    if (response.status !== 503) return new BenchDeviceError(code, message);
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    return new BenchDeviceError(
      'BENCH_UNAVAILABLE',
      message,
      Number.isFinite(retryAfter) ? retryAfter : undefined,
    );
  }
}

export interface PushEnvelope {
  type: string;
  [field: string]: unknown;
}

export interface DeviceOptions {
  user: string;
  password: string;
  domain: string;
  server: { address: string; port: number };
  /** Local address to bind (several 127.0.0.x spread the flows). */
  localAddress?: string;
  /** Fixed local port (a SIPp run takes the flow over afterwards); default ephemeral. */
  localPort?: number;
  /** Longest wait for a final response (default Timer F, 32 s); then the request fails with BENCH_TIMEOUT. */
  responseTimeoutMs?: number;
  /**
   * Retransmit requests like a SIP client over UDP (Timer E) until a final response or the
   * timeout; default off: a load generator that must count every lost datagram never retransmits.
   */
  retransmit?: boolean;
  /** Called for every push (envelope request from Herald) after it was answered 200 OK. */
  onPush?: (envelope: PushEnvelope, receivedAt: bigint) => void;
}

/** How a REGISTER starts: without credentials, or with the last nonce and nc+1 (see register). */
export type RegisterMode = 'fresh' | 'reuse-nonce';

interface Md5Challenge {
  realm: string;
  nonce: string;
  opaque: string | undefined;
}

/** The MD5 challenge of a 401 (Herald offers SHA-256 first: protocol.md §1). */
function md5Challenge(response: SipResponse): Md5Challenge | undefined {
  const challenge = response.wwwAuthenticate.find(
    (auth) => parseDigestAlgorithm(auth.params.get('algorithm')) === 'MD5',
  );
  const realm = challenge?.params.get('realm');
  const nonce = challenge?.params.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  return { realm, nonce, opaque: challenge?.params.get('opaque') };
}

interface Pending {
  resolve: (response: SipResponse) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  retransmission: NodeJS.Timeout | undefined;
}

/**
 * A minimal JSON-envelope SIP device for load generation: one UDP socket (its own flow), MD5
 * digest REGISTER, INFO commands, every push answered 200 OK at once. No retransmission: on
 * loopback a lost datagram shows up as a timeout, which a benchmark must count, not hide.
 */
export class BenchDevice {
  readonly aor: string;
  private socket!: Socket;
  private port = 0;
  private cseq = 0;
  private nonceCount = 0;
  /** The last MD5 challenge answered (reused by `reuse-nonce` registrations). */
  private challenge: Md5Challenge | undefined;
  private readonly fromTag = randomBytes(6).toString('hex');
  private readonly callIdBase = randomBytes(8).toString('hex');
  private readonly pending = new Map<string, Pending>();
  /** Bytes sent and received on this device's socket (SIP payloads, no UDP/IP headers). */
  bytesSent = 0;
  bytesReceived = 0;
  /** Requests sent again by Timer E (only with `retransmit`). */
  retransmissions = 0;

  private constructor(private readonly options: DeviceOptions) {
    this.aor = `sip:${options.user}@${options.domain}`;
  }

  static async open(options: DeviceOptions): Promise<BenchDevice> {
    const device = new BenchDevice(options);
    await device.bind();
    return device;
  }

  private bind(): Promise<void> {
    this.socket = createSocket('udp4');
    this.socket.on('message', (data) => this.receive(data));
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(this.options.localPort ?? 0, this.options.localAddress ?? LOOPBACK, () => {
        this.socket.off('error', reject);
        this.socket.on('error', (error) => this.failAll(error));
        this.port = this.socket.address().port;
        resolve();
      });
    });
  }

  private get sentBy(): string {
    return `${this.options.localAddress ?? LOOPBACK}:${this.port}`;
  }

  /**
   * REGISTER and expect 200, answering a 401 with its MD5 challenge. `fresh` starts without
   * credentials (REGISTER, 401, authorized REGISTER, 200: a client that keeps no nonce); `reuse-nonce`
   * sends the last challenge's nonce with nc+1 at once and answers a 401 (stale after the nonce
   * lifetime, 5 min) as above. Resolves whether a 401 had to be answered.
   */
  async register(expiresSeconds = 3600, mode: RegisterMode = 'fresh'): Promise<{ challenged: boolean }> {
    const uri = `sip:${this.options.domain}`;
    const callId = `${this.callIdBase}-reg@bench`;
    const binding = { Contact: `<sip:${this.options.user}@${this.sentBy}>`, Expires: String(expiresSeconds) };
    const known = mode === 'reuse-nonce' ? this.challenge : undefined;
    const first = await this.request(
      'REGISTER',
      uri,
      callId,
      known === undefined ? binding : { ...binding, Authorization: this.authorization(known, uri) },
    );
    if (first.status === 200) return { challenged: false };
    const challenge = first.status === 401 ? md5Challenge(first) : undefined;
    if (challenge === undefined)
      throw BenchDeviceError.answered(`REGISTER ${this.aor}`, first, 'BENCH_NO_CHALLENGE');
    // A new nonce counts its requests from 1 (RFC 7616 §3.4).
    this.challenge = challenge;
    this.nonceCount = 0;
    const second = await this.request('REGISTER', uri, callId, {
      ...binding,
      Authorization: this.authorization(challenge, uri),
    });
    if (second.status !== 200) throw BenchDeviceError.answered(`REGISTER ${this.aor}`, second);
    return { challenged: true };
  }

  /** RFC 7616 §3.4 credentials for REGISTER with the next nonce-count of this device. */
  private authorization(challenge: Md5Challenge, uri: string): string {
    const { realm, nonce, opaque } = challenge;
    const nc = (++this.nonceCount).toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const response = computeDigestResponse({
      ha1: ha1('MD5', this.options.user, realm, this.options.password),
      algorithm: 'MD5',
      method: 'REGISTER',
      uri,
      nonce,
      nc,
      cnonce,
      qop: 'auth',
    });
    return (
      `Digest username="${this.options.user}", realm="${realm}", nonce="${nonce}", uri="${uri}", ` +
      `response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"` +
      (opaque === undefined ? '' : `, opaque="${opaque}"`)
    );
  }

  /** Sends one envelope command as INFO; resolves when Herald answered 200 OK. */
  async command(envelope: PushEnvelope & { id: string }): Promise<void> {
    const response = await this.request(
      'INFO',
      `sip:${this.options.domain}`,
      `${this.callIdBase}-${envelope.id}@bench`,
      { 'Info-Package': 'herald', 'Content-Type': HERALD_CONTENT_TYPE },
      JSON.stringify({ v: 1, ...envelope }),
    );
    if (response.status !== 200) throw BenchDeviceError.answered(`${envelope.type} ${this.aor}`, response);
  }

  /**
   * Sends a MESSAGE (RFC 3428) with an envelope body to `to` (through a relay such as Kamailio);
   * resolves when it was answered 200 OK.
   */
  async message(to: string, envelope: PushEnvelope): Promise<void> {
    const response = await this.request(
      'MESSAGE',
      to,
      `${this.callIdBase}-${randomBytes(6).toString('hex')}@bench`,
      { 'Content-Type': HERALD_CONTENT_TYPE },
      JSON.stringify(envelope),
    );
    if (response.status !== 200) throw BenchDeviceError.answered(`MESSAGE ${this.aor} to ${to}`, response);
  }

  close(): Promise<void> {
    this.failAll(new BenchDeviceError('BENCH_REFUSED', 'device closed'));
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private request(
    method: string,
    uri: string,
    callId: string,
    headers: Record<string, string>,
    body = '',
  ): Promise<SipResponse> {
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const cseq = ++this.cseq;
    // REGISTER: the AOR being bound; otherwise the Request-URI's target (Herald for INFO, a peer for MESSAGE).
    const toUri = method === 'REGISTER' ? this.aor : uri;
    const lines = [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.sentBy};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <${this.aor}>;tag=${this.fromTag}`,
      `To: <${toUri}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ];
    const data = Buffer.from(lines.join('\r\n'), 'utf8');
    return new Promise<SipResponse>((resolve, reject) => {
      const pending: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.forget(branch, pending);
          reject(new BenchDeviceError('BENCH_TIMEOUT', `${method} ${this.aor}: no final response`));
        }, this.options.responseTimeoutMs ?? RESPONSE_TIMEOUT_MS),
        retransmission: undefined,
      };
      const retransmitAfter = (interval: number): void => {
        pending.retransmission = setTimeout(() => {
          this.retransmissions++;
          this.send(data);
          retransmitAfter(Math.min(2 * interval, T2_MS));
        }, interval);
      };
      if (this.options.retransmit === true) retransmitAfter(T1_MS);
      this.pending.set(branch, pending);
      this.send(data);
    });
  }

  /** Ends a client transaction: no more timeout or retransmission. */
  private forget(branch: string, pending: Pending): void {
    this.pending.delete(branch);
    clearTimeout(pending.timer);
    clearTimeout(pending.retransmission);
  }

  private send(data: Buffer): void {
    this.bytesSent += data.length;
    this.socket.send(data, this.options.server.port, this.options.server.address, (error) => {
      if (error) this.failAll(error);
    });
  }

  private receive(data: Buffer): void {
    const receivedAt = process.hrtime.bigint();
    this.bytesReceived += data.length;
    const message: SipMessage = parseMessage(data);
    if (message.kind === 'response') {
      this.settle(message);
      return;
    }
    this.answerPush(message, receivedAt);
  }

  private settle(response: SipResponse): void {
    if (response.status < 200) return;
    const branch = response.topVia?.branch;
    const pending = branch === undefined ? undefined : this.pending.get(branch);
    if (pending === undefined) return;
    this.forget(branch as string, pending);
    pending.resolve(response);
  }

  private answerPush(request: SipRequest, receivedAt: bigint): void {
    this.send(serializeMessage(createResponse(request, 200)));
    if (request.bodyText === '') return;
    this.options.onPush?.(JSON.parse(request.bodyText) as PushEnvelope, receivedAt);
  }

  private failAll(error: Error): void {
    for (const [branch, pending] of this.pending) {
      this.forget(branch, pending);
      pending.reject(error);
    }
  }
}
