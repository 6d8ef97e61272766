// Herald issue #16: a burst of outbound pushes (a restarted im-router's backlog) must not starve
// the reading of the edge's UDP socket, and the socket must hold what arrives while the edge is
// busy. The edge (real UDP on 127.0.0.1, the in-process bus, the documented receive buffer) gets
// pushes while a client in a worker thread keeps sending requests at a fixed rate without
// retransmitting: every request must be answered, and the kernel's drop counter of the edge's
// socket (herald_sip_udp_receive_drops_total) must not move.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InProcessEventBus } from '#herald/bus';
import { loadSipEdgeSettings } from '#herald/config';
import {
  edgeOutboundRecord,
  pushOutcomeV1,
  pushRequestedV1,
  SIP_PUSH_OUTCOME_IM_ROUTER_V1,
} from '#herald/contracts';
import { METRIC_NAMES } from '#herald/observability';
import { Clock } from '#herald/sip';
import { SipEdge } from '#herald/sip-edge';
import { uniqueGroupId } from '../support/topics';
import { waitFor } from '../support/wait-for';
import { D, edgeConfig, edgePort } from './edge-fixture';
import type { UdpLoadCommand, UdpLoadEvent, UdpLoadReport, UdpLoadSettings } from './udp-load-worker.mjs';

/** The documented default of HERALD_SIP_UDP_RECEIVE_BUFFER_BYTES (docs/configuration.md). */
const RECEIVE_BUFFER_BYTES = loadSipEdgeSettings({}).udpReceiveBufferBytes;
/** The request rate docs/configuration.md (UDP receive buffer) documents this test at. */
const REQUESTS_PER_SECOND = 200;
/**
 * Pushes published at once. Each is answered by its device, so as many datagrams come back: more
 * than the default buffer holds of them (~6,500 of 1,280 bytes' accounting), so an edge that sent
 * the whole batch before reading would drop answers and requests.
 */
const BURST_PUSHES = 8_000;
const DEVICES = 50;
/**
 * Requests that arrive while the edge's thread is held: 2 s of the rate, more than twice what the
 * kernel's default buffer (net.core.rmem_default, 208 KiB) holds of these datagrams (166).
 */
const STALL_REQUESTS = 2 * REQUESTS_PER_SECOND;
/** The client sends STALL_REQUESTS in 2 s; on a starved machine it may take longer. */
const STALL_DEADLINE_MS = 30_000;
/** Longer than the burst takes on a loaded 2-core machine. */
const BURST_DEADLINE_MS = 60_000;
/** Time a request's answer gets after the client stopped sending. */
const ANSWER_WITHIN_MS = 10_000;
/** Longer than the test: the reader exports only when asked (forceFlush). */
const EXPORT_INTERVAL_MS = 3_600_000;

/**
 * Wall-clock timers that do not keep the test process alive: the transactions the stopped edge
 * leaves behind (Timer J lasts 64*T1 = 32 s) just lapse.
 */
function lapsingClock(): Clock {
  const timeouts = new Map<number, NodeJS.Timeout>();
  let nextId = 1;
  return {
    now: () => Date.now(),
    setTimer(delayMs, callback) {
      const timerId = nextId++;
      const timeout = setTimeout(() => {
        timeouts.delete(timerId);
        callback();
      }, delayMs);
      timeout.unref();
      timeouts.set(timerId, timeout);
      return { timerId };
    },
    clearTimer({ timerId }) {
      clearTimeout(timeouts.get(timerId));
      timeouts.delete(timerId);
    },
  };
}

describe('sip-edge UDP socket under a burst of outbound pushes', () => {
  let bus: InProcessEventBus;
  let edge: SipEdge;
  let exporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;
  let provider: MeterProvider;
  const workers: Worker[] = [];

  beforeAll(async () => {
    exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: EXPORT_INTERVAL_MS });
    provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    bus = new InProcessEventBus();
    edge = new SipEdge({
      bus,
      clock: lapsingClock(),
      config: edgeConfig({
        udpReceiveBufferBytes: RECEIVE_BUFFER_BYTES,
        // RFC 3261 timers: the test's short T1 would retransmit pushes a loaded machine answers late.
        timers: { t1Ms: 500, t2Ms: 4_000 },
        // The client is one flow; the per-flow limit is not what this test is about.
        rateLimit: { burst: REQUESTS_PER_SECOND * 100, perSecond: REQUESTS_PER_SECOND * 10 },
      }),
    });
    await edge.start();
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.terminate()));
    await edge.stop();
    await bus.close();
    await provider.shutdown();
    metrics.disable();
  });

  /** herald_sip_udp_receive_drops_total now. */
  async function receiveDrops(): Promise<number> {
    exporter.reset();
    await reader.forceFlush();
    for (const resource of exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        const metric = scope.metrics.find((m) => m.descriptor.name === METRIC_NAMES.sipUdpReceiveDrops);
        const value = metric?.dataPoints[0]?.value;
        if (typeof value === 'number') return value;
      }
    }
    throw new Error(`${METRIC_NAMES.sipUdpReceiveDrops} was not exported`);
  }

  interface Load {
    worker: Worker;
    /** The next event of this type from the worker (rejects if the worker failed). */
    next<T extends UdpLoadEvent['type']>(type: T): Promise<Extract<UdpLoadEvent, { type: T }>>;
    /** Requests the client has sent so far, readable while this thread's event loop is held. */
    requestsSent(): number;
    /** Stops the client and resolves with its report once every answer is in (or ANSWER_WITHIN_MS passed). */
    stop(): Promise<UdpLoadReport>;
  }

  /** The devices and the client in a worker thread, aimed at the edge's UDP port. */
  async function startLoad(): Promise<Load & { devicePorts: number[] }> {
    const requestsSentCounter = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const settings: UdpLoadSettings = {
      edgePort: edgePort(edge, 'udp'),
      devices: DEVICES,
      requestsPerSecond: REQUESTS_PER_SECOND,
      receiveBufferBytes: RECEIVE_BUFFER_BYTES,
      requestsSentCounter,
    };
    const started = new Worker(join(__dirname, 'udp-load-worker.mts'), { workerData: settings });
    workers.push(started);
    const events: UdpLoadEvent[] = [];
    let failure: unknown;
    let wake = (): void => undefined;
    started.on('message', (event: UdpLoadEvent) => {
      events.push(event);
      wake();
    });
    started.on('error', (error) => {
      failure = error;
      wake();
    });
    const next = async <T extends UdpLoadEvent['type']>(
      type: T,
    ): Promise<Extract<UdpLoadEvent, { type: T }>> => {
      for (;;) {
        if (failure !== undefined) throw failure;
        const index = events.findIndex((event) => event.type === type);
        if (index >= 0) return events.splice(index, 1)[0] as Extract<UdpLoadEvent, { type: T }>;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    };
    const sent = new Int32Array(requestsSentCounter);
    const { devicePorts } = await next('ready');
    return {
      worker: started,
      devicePorts,
      next,
      requestsSent: () => Atomics.load(sent, 0),
      stop: async () => {
        started.postMessage({
          type: 'stop-requests',
          answerWithinMs: ANSWER_WITHIN_MS,
        } satisfies UdpLoadCommand);
        return (await next('report')).report;
      },
    };
  }

  async function startRequests(load: Load): Promise<void> {
    load.worker.postMessage({ type: 'start-requests' } satisfies UdpLoadCommand);
    await load.next('requests-started');
  }

  it('answers every request at the documented rate without a socket drop while it sends the burst', async () => {
    const port = edgePort(edge, 'udp');
    const load = await startLoad();

    const outcomes = new Map<string, string>();
    await bus.subscribe({
      groupId: uniqueGroupId('burst-outcomes'),
      topics: [SIP_PUSH_OUTCOME_IM_ROUTER_V1],
      handler: async (record) => {
        const outcome = pushOutcomeV1.decode(record.value);
        outcomes.set(outcome.pushId, outcome.outcome);
      },
    });
    // The devices registered here (their REGISTERs are not what this test is about): a push goes
    // over a UDP flow only to the device registered on it.
    for (const [device, devicePort] of load.devicePorts.entries()) {
      edge.registry.bind({
        flowId: `udp:${port}:127.0.0.1:${devicePort}`,
        aor: `sip:device${device}@${D}`,
        deviceId: `device-${device}`,
        contact: `sip:device${device}@127.0.0.1:${devicePort}`,
        expiresAt: Date.now() + 3_600_000,
      });
    }
    const pushes = Array.from({ length: BURST_PUSHES }, (_, i) => {
      const device = i % DEVICES;
      const devicePort = load.devicePorts[device]!;
      return edgeOutboundRecord(
        edge.config.edgeId,
        pushRequestedV1.build({
          pushId: `burst-${i}`,
          origin: 'im-router',
          aor: `sip:device${device}@${D}`,
          deviceId: `device-${device}`,
          flowId: `udp:${port}:127.0.0.1:${devicePort}`,
          contact: `sip:device${device}@127.0.0.1:${devicePort}`,
          method: 'INFO',
          contentType: 'application/vnd.herald+json',
          body: `{"type":"im","id":"burst-${i}","from":"sip:sender@${D}","text":"${'x'.repeat(200)}"}`,
        }),
      );
    });

    const dropsBefore = await receiveDrops();
    await startRequests(load);
    await bus.publish(pushes);
    await waitFor(() => outcomes.size === BURST_PUSHES, BURST_DEADLINE_MS, 'an outcome of every push');
    const report = await load.stop();
    const dropsAfter = await receiveDrops();
    console.log(`burst: socket drops before ${dropsBefore}, after ${dropsAfter}; ${JSON.stringify(report)}`);

    expect([...outcomes.values()].filter((outcome) => outcome !== 'answered')).toEqual([]);
    expect(report.distinctPushes).toBe(BURST_PUSHES);
    // The load overlapped the burst (which takes seconds): requests kept arriving while the pushes went out.
    expect(report.requestsSentDuringPushes).toBeGreaterThanOrEqual(REQUESTS_PER_SECOND / 4);
    expect(report.requestsUnanswered).toBe(0);
    expect(report.answeredByStatus).toEqual({ '200': report.requestsSent });
    expect(dropsAfter - dropsBefore).toBe(0);
  });

  it('holds the requests that arrive while the edge does not read (a stall: GC, CPU starvation) and answers them all', async () => {
    const load = await startLoad();
    const dropsBefore = await receiveDrops();
    await startRequests(load);
    // Hold this thread (the edge's) until the client has sent STALL_REQUESTS more: the socket alone keeps them.
    const heldFrom = load.requestsSent();
    const giveUpAt = Date.now() + STALL_DEADLINE_MS;
    while (load.requestsSent() - heldFrom < STALL_REQUESTS && Date.now() < giveUpAt) {
      // Busy on purpose: nothing in this process reads a socket meanwhile.
    }
    const sentDuringStall = load.requestsSent() - heldFrom;
    const report = await load.stop();
    const dropsAfter = await receiveDrops();
    console.log(
      `stall: ${sentDuringStall} requests sent while held; socket drops before ${dropsBefore}, after ${dropsAfter}; ` +
        JSON.stringify(report),
    );

    expect(sentDuringStall).toBeGreaterThanOrEqual(STALL_REQUESTS);
    expect(report.requestsUnanswered).toBe(0);
    expect(report.answeredByStatus).toEqual({ '200': report.requestsSent });
    expect(dropsAfter - dropsBefore).toBe(0);
  });
});
