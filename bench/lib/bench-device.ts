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
/** Loopback only: every device socket binds and sends here. */
export const LOOPBACK = '127.0.0.1';
export const HERALD_CONTENT_TYPE = 'application/vnd.herald+json';

export class BenchDeviceError extends Error {
  constructor(
    readonly code: 'BENCH_TIMEOUT' | 'BENCH_REFUSED' | 'BENCH_UNAVAILABLE' | 'BENCH_NO_CHALLENGE',
    message: string,
  ) {
    super(message);
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
  /** Called for every push (envelope request from Herald) after it was answered 200 OK. */
  onPush?: (envelope: PushEnvelope, receivedAt: bigint) => void;
}

interface Pending {
  resolve: (response: SipResponse) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
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
  private readonly fromTag = randomBytes(6).toString('hex');
  private readonly callIdBase = randomBytes(8).toString('hex');
  private readonly pending = new Map<string, Pending>();
  /** Bytes sent and received on this device's socket (SIP payloads, no UDP/IP headers). */
  bytesSent = 0;
  bytesReceived = 0;

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

  /** REGISTER, answer the MD5 challenge, expect 200. */
  async register(expiresSeconds = 3600): Promise<void> {
    const callId = `${this.callIdBase}-reg@bench`;
    const first = await this.request('REGISTER', `sip:${this.options.domain}`, callId, {
      Contact: `<sip:${this.options.user}@${this.sentBy}>`,
      Expires: String(expiresSeconds),
    });
    if (first.status === 200) return;
    const challenge = first.wwwAuthenticate.find(
      (auth) => parseDigestAlgorithm(auth.params.get('algorithm')) === 'MD5',
    );
    const realm = challenge?.params.get('realm');
    const nonce = challenge?.params.get('nonce');
    if (first.status !== 401 || realm === undefined || nonce === undefined) {
      throw new BenchDeviceError(
        'BENCH_NO_CHALLENGE',
        `REGISTER ${this.aor}: ${first.status} ${first.reason}`,
      );
    }
    const uri = `sip:${this.options.domain}`;
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
    const opaque = challenge?.params.get('opaque');
    const authorization =
      `Digest username="${this.options.user}", realm="${realm}", nonce="${nonce}", uri="${uri}", ` +
      `response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"` +
      (opaque === undefined ? '' : `, opaque="${opaque}"`);
    const second = await this.request('REGISTER', uri, callId, {
      Contact: `<sip:${this.options.user}@${this.sentBy}>`,
      Expires: String(expiresSeconds),
      Authorization: authorization,
    });
    if (second.status !== 200) {
      throw new BenchDeviceError(
        second.status === 503 ? 'BENCH_UNAVAILABLE' : 'BENCH_REFUSED',
        `REGISTER ${this.aor}: ${second.status} ${second.reason}`,
      );
    }
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
    if (response.status !== 200) {
      throw new BenchDeviceError(
        response.status === 503 ? 'BENCH_UNAVAILABLE' : 'BENCH_REFUSED',
        `${envelope.type} ${this.aor}: ${response.status} ${response.reason}`,
      );
    }
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
    const toUri = method === 'REGISTER' ? this.aor : `sip:${this.options.domain}`;
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
      const timer = setTimeout(() => {
        this.pending.delete(branch);
        reject(new BenchDeviceError('BENCH_TIMEOUT', `${method} ${this.aor}: no final response`));
      }, RESPONSE_TIMEOUT_MS);
      this.pending.set(branch, { resolve, reject, timer });
      this.send(data);
    });
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
    this.pending.delete(branch as string);
    clearTimeout(pending.timer);
    pending.resolve(response);
  }

  private answerPush(request: SipRequest, receivedAt: bigint): void {
    this.send(serializeMessage(createResponse(request, 200)));
    if (request.bodyText === '') return;
    this.options.onPush?.(JSON.parse(request.bodyText) as PushEnvelope, receivedAt);
  }

  private failAll(error: Error): void {
    for (const [branch, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(branch);
      pending.reject(error);
    }
  }
}
