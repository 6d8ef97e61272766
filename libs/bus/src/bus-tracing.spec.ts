import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  StackContextManager,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { handleRunTraced, publishTraced } from './bus-tracing';
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
