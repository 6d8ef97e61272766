import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  StackContextManager,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { handleRunTraced, handleTraced, publishTraced } from './bus-tracing';
import type { BusRecord, ConsumedRecord } from './event-bus';

const TOPIC = 'herald.test.traced.v1';

describe('handleRunTraced', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

  beforeAll(() => {
    trace.setGlobalTracerProvider(provider);
    // Synchronous context is enough: publishTraced injects the headers before its first await.
    context.setGlobalContextManager(new StackContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  /** Publishes each value in its own producer span and returns the records as consumed. */
  async function publishedRecords(...values: string[]): Promise<ConsumedRecord[]> {
    const consumed: ConsumedRecord[] = [];
    for (const value of values) {
      await publishTraced(
        'in-process',
        [{ topic: TOPIC, key: 'k', value: Buffer.from(value) }],
        async (sent) => {
          sent.forEach((record: BusRecord) =>
            consumed.push({ ...record, partition: 0, offset: String(consumed.length) }),
          );
        },
      );
    }
    return consumed;
  }

  it('handles a run in one consumer span that continues the first trace and links every producer span', async () => {
    const run = await publishedRecords('a', 'b', 'c');
    await provider.forceFlush();
    const producers = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.PRODUCER);
    expect(producers).toHaveLength(3);
    let calls = 0;

    await handleRunTraced(run, async () => {
      calls += 1;
    });

    await provider.forceFlush();
    const consumers = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CONSUMER);
    expect(calls).toBe(1);
    expect(consumers).toHaveLength(1);
    const [consumer] = consumers;
    expect(consumer!.spanContext().traceId).toBe(producers[0]!.spanContext().traceId);
    expect(consumer!.parentSpanContext?.spanId).toBe(producers[0]!.spanContext().spanId);
    expect(consumer!.links.map((link) => link.context.spanId)).toEqual(
      producers.map((producer) => producer.spanContext().spanId),
    );
    expect(consumer!.attributes).toMatchObject({
      'messaging.batch.message_count': 3,
      'messaging.destination.name': TOPIC,
      'messaging.kafka.offset': '0',
    });
  });
});

describe('bus records without a tracer', () => {
  const incoming = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
  const activeTraceId = () => trace.getSpanContext(context.active())?.traceId;

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });

  async function published(headers?: Record<string, string>): Promise<BusRecord[]> {
    const sent: BusRecord[] = [];
    await publishTraced(
      'in-process',
      [{ topic: TOPIC, key: 'k', value: Buffer.from('v'), headers }],
      async (records) => {
        sent.push(...records);
      },
    );
    return sent;
  }

  it('publishes outside any trace with no trace headers, keeping the headers given', async () => {
    expect((await published()).map((record) => record.headers)).toEqual([{}]);
    expect((await published({ origin: 'x' })).map((record) => record.headers)).toEqual([{ origin: 'x' }]);
  });

  it('still carries on the trace a handled record came with, to its handler and its publishes', async () => {
    const consumed = { topic: TOPIC, key: 'k', value: Buffer.from('v'), partition: 0, offset: '0' };
    let inside: string | undefined;
    let forwarded: BusRecord[] = [];
    await handleTraced({ ...consumed, headers: incoming }, async () => {
      inside = activeTraceId();
      forwarded = await published();
    });
    expect(inside).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(forwarded[0]?.headers['traceparent']).toContain('0af7651916cd43dd8448eb211c80319c');
    await handleRunTraced([{ ...consumed, headers: {} }], async () => {
      inside = activeTraceId();
    });
    expect(inside).toBeUndefined();
  });

  it('starts a trace for a record without one once a tracer is installed', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
    const consumed = {
      topic: TOPIC,
      key: 'k',
      value: Buffer.from('v'),
      partition: 0,
      offset: '0',
      headers: {},
    };
    let inside: string | undefined;
    await handleTraced(consumed, async () => {
      inside = activeTraceId();
    });
    expect(inside).toBeDefined();
    expect(exporter.getFinishedSpans().map((span) => span.kind)).toEqual([SpanKind.CONSUMER]);
  });
});
