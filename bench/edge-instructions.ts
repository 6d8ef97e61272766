// First, as in apps/sip-edge/src/main.ts: the edge runs with the OpenTelemetry SDK it has in production.
import '../libs/observability/src/register';
import { createSocket, type Socket } from 'node:dgram';
import { computeDigestResponse, ha1 } from '#herald/sip';
import { BenchServicesBus, benchEdge } from './lib/bench-edge';
import { CountWaiter } from './lib/count-waiter';
import { BENCH_DOMAIN } from './lib/herald-launch';

/** Operations before the counted ones: the edge's code is compiled and its caches are warm. */
const WARM_UP = 300;
const CLIENT = '127.0.0.1';
const PUSHES_PER_IM = 3;

/**
 * The edge alone (bench/lib/bench-edge) and one client in this process, one operation at a time,
 * for bench/edge-instructions.sh (callgrind counts the instructions of the whole run; two runs with
 * different counts give the instructions of one operation, independent of the machine's load):
 *   register: REGISTER, 401, REGISTER with Authorization, 200 (a new user each time);
 *   im: INFO im.send, its 200, and the result, im and im.status pushes answered 200 by the client,
 *       until the client answered all three and the edge published the `im` push's outcome (the
 *       others ask for none).
 *   node --single-threaded dist/bench/edge-instructions.js register|im COUNT
 */
async function main(): Promise<void> {
  const [what, countText] = process.argv.slice(2);
  const count = Number(countText);
  if ((what !== 'register' && what !== 'im') || !Number.isInteger(count) || count < 0) {
    throw new Error('usage: edge-instructions.js register|im COUNT');
  }
  const bus = new BenchServicesBus();
  const edge = benchEdge(bus);
  await edge.start();
  const port = edge.addresses.udp?.port;
  if (port === undefined) throw new Error('edge-instructions: no UDP address');
  const client = await BenchClient.open(port);
  if (what === 'register') {
    for (let i = 0; i < WARM_UP + count; i++) await client.register(`u${i}`);
  } else {
    await client.register('sender');
    for (let i = 0; i < WARM_UP + count; i++) {
      await client.sendIm('sender', i);
      await client.whenAnswered((i + 1) * PUSHES_PER_IM);
      await bus.whenPushOutcomes(i + 1);
    }
  }
  client.close();
  console.log(`edge-instructions: ${WARM_UP} + ${count} ${what} done`);
  // Not edge.stop(): its drain waits for the server transactions' Timer J (32 s), which is not
  // the work of an operation; both runs of a count end the same way.
  process.exit(0);
}

/** A SIP client on one UDP socket that waits for one response at a time and answers every request 200. */
class BenchClient {
  private waiting: ((response: string) => void) | undefined;
  private branch = 0;
  /** Pushes answered so far. */
  private readonly answered = new CountWaiter();

  private constructor(
    private readonly socket: Socket,
    private readonly edgePort: number,
    private readonly localPort: number,
  ) {
    socket.on('message', (data) => this.receive(data.toString('utf8')));
  }

  static async open(edgePort: number): Promise<BenchClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, CLIENT, resolve));
    return new BenchClient(socket, edgePort, socket.address().port);
  }

  close(): void {
    this.socket.close();
  }

  async register(user: string): Promise<void> {
    const callId = `reg-${user}@${CLIENT}`;
    const challenge = await this.request(this.registerText(user, callId, 1, []));
    const nonce = /nonce="([^"]+)"/.exec(challenge)?.[1];
    if (!challenge.startsWith('SIP/2.0 401') || nonce === undefined)
      throw new Error(`no challenge: ${challenge}`);
    const uri = `sip:${BENCH_DOMAIN}`;
    const cnonce = `c${user}`;
    const response = computeDigestResponse({
      ha1: ha1('MD5', user, BENCH_DOMAIN, `pw-${user}`),
      algorithm: 'MD5',
      method: 'REGISTER',
      uri,
      nonce,
      nc: '00000001',
      cnonce,
      qop: 'auth',
    });
    const authorization = `Digest username="${user}", realm="${BENCH_DOMAIN}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"`;
    const ok = await this.request(this.registerText(user, callId, 2, [`Authorization: ${authorization}`]));
    if (!ok.startsWith('SIP/2.0 200')) throw new Error(`REGISTER not accepted: ${ok}`);
  }

  async sendIm(user: string, index: number): Promise<void> {
    const body = JSON.stringify({
      v: 1,
      id: `b-${index}`,
      type: 'im.send',
      to: `sip:bob@${BENCH_DOMAIN}`,
      text: `bench message ${index}`,
    });
    const info = [
      `INFO sip:${BENCH_DOMAIN} SIP/2.0`,
      this.via(),
      'Max-Forwards: 70',
      `From: <sip:${user}@${BENCH_DOMAIN}>;tag=i${index}`,
      `To: <sip:${BENCH_DOMAIN}>`,
      `Call-ID: im-${index}@${CLIENT}`,
      'CSeq: 1 INFO',
      'Info-Package: herald',
      'Content-Type: application/vnd.herald+json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    const ok = await this.request(info);
    if (!ok.startsWith('SIP/2.0 200')) throw new Error(`INFO not accepted: ${ok}`);
  }

  private registerText(user: string, callId: string, cseq: number, extra: string[]): string {
    return [
      `REGISTER sip:${BENCH_DOMAIN} SIP/2.0`,
      this.via(),
      'Max-Forwards: 70',
      `From: <sip:${user}@${BENCH_DOMAIN}>;tag=r${cseq}`,
      `To: <sip:${user}@${BENCH_DOMAIN}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:${user}@${CLIENT}:${this.localPort}>`,
      ...extra,
      'Expires: 3600',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }

  private via(): string {
    return `Via: SIP/2.0/UDP ${CLIENT}:${this.localPort};branch=z9hG4bK-bench-${this.branch++};rport`;
  }

  /** Resolves once `count` pushes were answered in all. */
  whenAnswered(count: number): Promise<void> {
    return this.answered.whenReached(count);
  }

  private request(text: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.send(text, this.edgePort, CLIENT);
    });
  }

  /** A response goes to the request waiting for it; a request (a push) is answered 200 at once. */
  private receive(text: string): void {
    if (text.startsWith('SIP/2.0 ')) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(text);
      return;
    }
    const head = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
    const copied = head.filter((line) => /^(Via|From|Call-ID|CSeq):/i.test(line));
    const to = head.find((line) => /^To:/i.test(line));
    const ok = ['SIP/2.0 200 OK', ...copied, `${to};tag=bench`, 'Content-Length: 0', '', ''].join('\r\n');
    this.socket.send(ok, this.edgePort, CLIENT);
    this.answered.increment();
  }
}

main().catch((error: unknown) => {
  console.error('edge-instructions: failed', error);
  process.exit(1);
});
