// The far side of the edge's UDP burst test, run in a worker thread (Node strips the types): its
// own event loop keeps the pace while the edge's thread is busy. Devices answer every request at
// once with 200 OK; a client sends OPTIONS at a fixed rate and never retransmits, so a request the
// edge's socket dropped stays unanswered. Node built-ins only: the worker loads this file as is.
import { createSocket, Socket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';

export interface UdpLoadSettings {
  edgePort: number;
  devices: number;
  requestsPerSecond: number;
  /** SO_RCVBUF of each socket here, so this side never drops what the edge sends. */
  receiveBufferBytes: number;
  /** One Int32: requests sent so far, readable by the main thread while its event loop is held. */
  requestsSentCounter: SharedArrayBuffer;
}

/** Main thread -> worker. */
export type UdpLoadCommand = { type: 'start-requests' } | { type: 'stop-requests'; answerWithinMs: number };

/** Worker -> main thread. */
export type UdpLoadEvent =
  | { type: 'ready'; devicePorts: number[] }
  | { type: 'requests-started' }
  | { type: 'report'; report: UdpLoadReport };

export interface UdpLoadReport {
  requestsSent: number;
  /** Final responses by status code. */
  answeredByStatus: Record<string, number>;
  requestsUnanswered: number;
  /** Push requests received, retransmissions included, and distinct ones (by branch). */
  pushesReceived: number;
  distinctPushes: number;
  /** Requests sent between the first and the last push received: the load overlapped the burst. */
  requestsSentDuringPushes: number;
}

const SEND_INTERVAL_MS = 5;

/** The header lines a UAS copies into its response (RFC 3261 §8.2.6.2). */
const COPIED_HEADERS = /^(via|v|from|f|to|t|call-id|i|cseq):/i;

function open(receiveBufferBytes: number): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: receiveBufferBytes });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

function headerLines(message: string): string[] {
  return message.slice(0, message.indexOf('\r\n\r\n')).split('\r\n').slice(1);
}

function branchOf(message: string): string | undefined {
  return /;branch=([^;\s,]+)/i.exec(message)?.[1];
}

/** 200 OK to a request: its Via, From, To (with a tag), Call-ID and CSeq. */
function okTo(request: string): string {
  const lines = headerLines(request)
    .filter((line) => COPIED_HEADERS.test(line))
    .map((line) => (/^(to|t):/i.test(line) && !/;tag=/i.test(line) ? `${line};tag=device` : line));
  return ['SIP/2.0 200 OK', ...lines, 'Content-Length: 0', '', ''].join('\r\n');
}

async function run(settings: UdpLoadSettings): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('udp-load-worker runs in a worker thread');
  const { edgePort } = settings;
  const sharedSent = new Int32Array(settings.requestsSentCounter);
  const pushBranches = new Set<string>();
  let pushesReceived = 0;
  let firstPushAt: number | undefined;
  let lastPushAt: number | undefined;

  const devices = await Promise.all(
    Array.from({ length: settings.devices }, () => open(settings.receiveBufferBytes)),
  );
  for (const device of devices) {
    device.on('message', (data) => {
      const request = data.toString('latin1');
      pushesReceived += 1;
      const now = performance.now();
      firstPushAt ??= now;
      lastPushAt = now;
      pushBranches.add(branchOf(request) ?? '');
      device.send(okTo(request), edgePort, '127.0.0.1');
    });
  }

  const client = await open(settings.receiveBufferBytes);
  const sentAt = new Map<string, number>();
  const answeredByStatus: Record<string, number> = {};
  let answered = 0;
  let onAnswer = (): void => undefined;
  client.on('message', (data) => {
    const response = data.toString('latin1');
    const branch = branchOf(response);
    if (branch === undefined || !sentAt.has(branch)) return;
    sentAt.delete(branch);
    const status = response.slice(8, 11);
    answeredByStatus[status] = (answeredByStatus[status] ?? 0) + 1;
    answered += 1;
    onAnswer();
  });

  let requestsSent = 0;
  let sending: NodeJS.Timeout | undefined;
  const allSentAt: number[] = [];
  const sendOptions = (): void => {
    const branch = `z9hG4bK-load-${requestsSent}`;
    const request = [
      'OPTIONS sip:herald.test SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${client.address().port};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:load@herald.test>;tag=load`,
      'To: <sip:herald.test>',
      `Call-ID: load-${requestsSent}@127.0.0.1`,
      `CSeq: 1 OPTIONS`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const now = performance.now();
    sentAt.set(branch, now);
    allSentAt.push(now);
    requestsSent += 1;
    Atomics.store(sharedSent, 0, requestsSent);
    client.send(request, edgePort, '127.0.0.1');
  };

  port.on('message', (command: UdpLoadCommand) => {
    if (command.type === 'start-requests') {
      const startedAt = performance.now();
      // Open loop: as many requests as the elapsed time calls for, whatever the answers do.
      sending = setInterval(() => {
        const due = Math.floor(((performance.now() - startedAt) / 1000) * settings.requestsPerSecond);
        while (requestsSent < due) sendOptions();
      }, SEND_INTERVAL_MS);
      sendOptions();
      port.postMessage({ type: 'requests-started' } satisfies UdpLoadEvent);
      return;
    }
    clearInterval(sending);
    const report = (): void => {
      clearTimeout(deadline);
      const during = allSentAt.filter(
        (at) =>
          firstPushAt !== undefined && lastPushAt !== undefined && at >= firstPushAt && at <= lastPushAt,
      ).length;
      port.postMessage({
        type: 'report',
        report: {
          requestsSent,
          answeredByStatus,
          requestsUnanswered: requestsSent - answered,
          pushesReceived,
          distinctPushes: pushBranches.size,
          requestsSentDuringPushes: during,
        },
      } satisfies UdpLoadEvent);
      for (const socket of [client, ...devices]) socket.close();
    };
    // Answers still on their way get this long; the edge answers each request at most once.
    const deadline = setTimeout(report, command.answerWithinMs);
    onAnswer = () => {
      if (answered === requestsSent) report();
    };
    onAnswer();
  });
  port.postMessage({
    type: 'ready',
    devicePorts: devices.map((d) => d.address().port),
  } satisfies UdpLoadEvent);
}

// A rejection ends the worker with an 'error' event, which the test turns into its failure.
void run(workerData as UdpLoadSettings);
