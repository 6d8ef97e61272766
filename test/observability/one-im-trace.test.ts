// The proof of issue 5 against the real separate apps (dist/, Kafka, PostgreSQL): an OTLP/HTTP
// receiver in the test gets ONE IM's spans from every service it crossed, linked in one trace
// (sender's edge request -> Kafka -> im-router -> the edge link, or Kafka without it -> recipient's
// edge push and its 200 OK),
// and the edge's Prometheus endpoint shows the counters moving.
import { randomUUID } from 'node:crypto';
import { hashAor, SPAN_ATTRIBUTES, SpanKind } from '#herald/observability';
import { SIP_COMMAND_RECEIVED_IM_ROUTER_V1 } from '#herald/contracts';
import { Devices, expectStatus, pushOf } from '../e2e/e2e-support';
import { HeraldCluster } from '../support/herald-cluster';
import { waitFor } from '../support/wait-for';
import { listeningTcpPorts } from './listening-ports';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver';

/** A cold start of four apps on a busy 2-core machine (a build, migrations, group joins). */
const CLUSTER_START_TIMEOUT_MS = 300_000;
const TEST_TIMEOUT_MS = 120_000;
/** Spans leave each process in batches every 100 ms; the receiver has them well within this. */
const SPAN_WAIT_MS = 30_000;
/** OTLP kinds are the API's SpanKind plus one (0 is UNSPECIFIED). */
const OTLP_KIND_OFFSET = 1;

function otlpKind(kind: SpanKind): number {
  return kind + OTLP_KIND_OFFSET;
}

/** The name of a producer span whose publish went to `topic` (among others). */
function sendTo(topic: string): RegExp {
  const escaped = topic.replace(/[.]/g, '\\.');
  return new RegExp(`^send (?:[^,]+,)*${escaped}(?:,[^,]+)*$`);
}

/** What `find` returns once it returns something, polled (spans arrive with no SIP event to wake a client). */
async function arrived<T>(find: () => T | undefined, what: string): Promise<T> {
  await waitFor(() => find() !== undefined, SPAN_WAIT_MS, what);
  return find()!;
}

describe.each(['kafka-only', 'link'] as const)(
  'one IM, one trace, across the separate apps (%s)',
  (edgeLink) => {
    const receiver = new OtlpReceiver();
    let cluster: HeraldCluster | undefined;
    const devices = new Devices(() => {
      if (cluster === undefined) throw new Error('the cluster did not start');
      return cluster;
    });

    beforeAll(async () => {
      const endpoint = await receiver.start();
      cluster = await HeraldCluster.start({
        // Default: the link on, as a carrier runs it.
        edgeLink: edgeLink === 'link' ? undefined : 'kafka-only',
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '100',
          OTEL_METRIC_EXPORT_INTERVAL: '1000',
          // The command crosses the link too (requests over the link are off by default).
          ...(edgeLink === 'link' ? { HERALD_EDGE_LINK_REQUESTS: 'true' } : {}),
        },
      });
    }, CLUSTER_START_TIMEOUT_MS);

    afterAll(async () => {
      await devices.closeAll();
      await cluster?.stop();
      await receiver.stop();
    });

    /** The edge's /metrics (its HTTP port is ephemeral: found among its listening sockets). */
    async function scrapeEdge(): Promise<string> {
      const edge = cluster!.processes.get('sip-edge')!;
      const link = cluster!.edgeLink;
      const otherPorts = new Set([
        cluster!.address('tcp').port,
        cluster!.address('ws').port,
        ...(link !== 'kafka-only' && link.edgePort !== 'off' ? [link.edgePort] : []),
      ]);
      const httpPort = listeningTcpPorts(edge.pid!).find((port) => !otherPorts.has(port));
      if (httpPort === undefined) throw new Error('the edge listens on no HTTP port');
      const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
      expect(response.status).toBe(200);
      return response.text();
    }

    function counter(text: string, pattern: RegExp): number {
      return Number(pattern.exec(text)?.[1] ?? 0);
    }

    it(
      'links the sender request, im-router and the recipient push with its 200 OK in one trace',
      async () => {
        const edgeId = cluster!.edgeId;
        const outboundTopic = `edge.${edgeId}.outbound.v1`;
        const alice = await devices.loggedIn(await devices.account('alice'), 'udp', 'INFO');
        const bob = await devices.loggedIn(await devices.account('bob'), 'tcp', 'INFO');
        if (edgeLink === 'link') {
          // im-router reaches the edge over the link when it first sends it a record: Bob's IM to
          // Alice (on Kafka: no replica had said it owns the topic yet) makes it, so Alice's IM
          // below, the first of her key, crosses the link to it.
          const warmUpFrom = bob.pushes.length;
          const warmUp = {
            v: 1,
            id: `warm-up-${randomUUID()}`,
            type: 'im.send',
            to: alice.aor,
            text: 'warm-up',
          };
          expectStatus(await bob.command(warmUp, 'INFO'), 200);
          await pushOf(alice, 'im', { from: bob.aor, text: 'warm-up' });
          await pushOf(bob, 'im.status', { state: 'delivered' }, warmUpFrom);
        }
        const imRequests = /^herald_sip_requests_total\{[^}]*method="INFO"[^}]*code="200"[^}]*\} (\d+)/m;
        const before = await scrapeEdge();

        const callId = `one-im-${randomUUID()}@herald-test`;
        const imId = `im-${randomUUID()}`;
        const fromBob = bob.pushes.length;
        const fromAlice = alice.pushes.length;
        expectStatus(
          await alice.command({ v: 1, id: imId, type: 'im.send', to: bob.aor, text: 'traced' }, 'INFO', {
            callId,
          }),
          200,
        );
        const im = await pushOf(bob, 'im', { from: alice.aor, text: 'traced' }, fromBob);
        await pushOf(alice, 'im.status', { state: 'delivered' }, fromAlice);
        const pushCallId = im.request.callId ?? '';

        // The sender's request at the edge: a SERVER span with the Call-ID we chose.
        const serverSpan = (): ReceivedSpan | undefined =>
          receiver.spans.find(
            (span) =>
              span.kind === otlpKind(SpanKind.SERVER) &&
              span.attributes[SPAN_ATTRIBUTES.sipCallId] === callId,
          );
        await arrived(serverSpan, "the sender's SERVER span");
        const traceId = serverSpan()!.traceId;
        const inTrace = (): ReceivedSpan[] => receiver.spans.filter((span) => span.traceId === traceId);
        const pushSpan = (): ReceivedSpan | undefined =>
          inTrace().find(
            (span) =>
              span.kind === otlpKind(SpanKind.CLIENT) &&
              span.attributes[SPAN_ATTRIBUTES.sipCallId] === pushCallId,
          );
        await arrived(pushSpan, "the recipient's push CLIENT span in the same trace");

        // Walk up from the push to the request: every hop the child of the one before. Each process
        // exports a span when it ends, so wait until the whole chain has arrived.
        const chainToRequest = (): ReceivedSpan[] | undefined => {
          const byId = new Map(inTrace().map((span) => [span.spanId, span]));
          const chain: ReceivedSpan[] = [];
          for (let span = pushSpan(); span !== undefined; span = byId.get(span.parentSpanId))
            chain.unshift(span);
          return chain[0] === serverSpan() ? chain : undefined;
        };
        const chain = await arrived(chainToRequest, 'every span from the push up to the request');
        expect(chain.map((span) => [span.service, span.name, span.kind])).toEqual([
          ['herald-sip-edge', 'SIP INFO', otlpKind(SpanKind.SERVER)],
          ['herald-sip-edge', `send ${SIP_COMMAND_RECEIVED_IM_ROUTER_V1}`, otlpKind(SpanKind.PRODUCER)],
          ['herald-im-router', `process ${SIP_COMMAND_RECEIVED_IM_ROUTER_V1}`, otlpKind(SpanKind.CONSUMER)],
          // One publish carries the push and im.message-accepted: its span names every topic.
          ['herald-im-router', expect.stringMatching(sendTo(outboundTopic)), otlpKind(SpanKind.PRODUCER)],
          ['herald-sip-edge', `process ${outboundTopic}`, otlpKind(SpanKind.CONSUMER)],
          ['herald-sip-edge', 'SIP INFO', otlpKind(SpanKind.CLIENT)],
        ]);
        const [request, command, , published, , push] = chain;
        // The command and the push crossed the link (or Kafka, without it), and their spans say which.
        expect(command!.attributes[SPAN_ATTRIBUTES.messagingSystem]).toBe(
          edgeLink === 'link' ? 'edge-link' : 'kafka',
        );
        expect(published!.attributes[SPAN_ATTRIBUTES.messagingSystem]).toBe(
          edgeLink === 'link' ? 'edge-link' : 'kafka',
        );
        expect(request!.attributes[SPAN_ATTRIBUTES.aorHash]).toBe(hashAor(alice.aor));
        expect(request!.attributes[SPAN_ATTRIBUTES.sipResponseCode]).toBe(200);
        expect(push!.attributes[SPAN_ATTRIBUTES.aorHash]).toBe(hashAor(bob.aor));
        expect(push!.attributes[SPAN_ATTRIBUTES.sipResponseCode]).toBe(200);
        // No AOR in clear anywhere in the trace.
        expect(JSON.stringify(inTrace())).not.toContain(alice.aor);
        expect(JSON.stringify(inTrace())).not.toContain(bob.aor);

        // The Prometheus endpoint: the edge counted the IM request and the other INFOs, and the devices.
        const after = await scrapeEdge();
        expect(counter(after, imRequests)).toBeGreaterThan(counter(before, imRequests));
        expect(counter(after, /^herald_registered_devices(?:\{[^}]*\})? (\d+)/m)).toBeGreaterThanOrEqual(2);
        expect(after).toMatch(/^herald_im_delivery_latency_seconds_count(?:\{[^}]*\})? [1-9]/m);
        // With the link, the push's outcome went back to im-router over it, not through Kafka.
        const linkedOutcomes =
          /^herald_edge_link_records_total\{[^}]*direction="to-service"[^}]*result="linked"[^}]*\} (\d+)/m;
        expect(counter(after, linkedOutcomes) > counter(before, linkedOutcomes)).toBe(edgeLink === 'link');
        // And the services export their metrics over OTLP too (the database gauges among them).
        const gauges = ['herald_sessions', 'herald_offline_store_depth', 'herald_pg_pool_in_use'];
        await waitFor(
          () => gauges.every((name) => receiver.metricNames.has(name)),
          SPAN_WAIT_MS,
          'the database gauges over OTLP',
        );
      },
      TEST_TIMEOUT_MS,
    );
    it(
      'puts the trace and span of a request on the log lines written while handling it',
      async () => {
        const device = await devices.device(await devices.account('log-trace'), 'udp');
        // A nonce the edge never issued: rejected at the edge (EDGE_DIGEST_REJECTED) inside the REGISTER's span.
        const forged =
          `Digest username="${device.aor}", realm="${cluster!.domain}", nonce="never-issued", ` +
          `uri="sip:${cluster!.domain}", response="00", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c"`;
        expectStatus(await device.sendRegister(600, forged), 401);
        const line = await cluster!.processes.get('sip-edge')!.waitForLine(
          (text) => {
            if (!text.startsWith('{')) return undefined;
            const entry = JSON.parse(text) as { code?: string; trace_id?: string; span_id?: string };
            return entry.code === 'EDGE_DIGEST_REJECTED' ? entry : undefined;
          },
          SPAN_WAIT_MS,
          'the rejected digest line',
        );
        expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
        expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
        const span = await arrived(
          () => receiver.spans.find((received) => received.spanId === line.span_id),
          'the span the line names',
        );
        expect(span).toMatchObject({
          service: 'herald-sip-edge',
          traceId: line.trace_id,
          name: 'SIP REGISTER',
        });
        // With the SDK on too (its own diagnostics included), every line of every app is JSON.
        for (const app of cluster!.processes.values()) expect(app.logEntries().length).toBeGreaterThan(0);
      },
      TEST_TIMEOUT_MS,
    );
  },
);
