import {
  extractTraceContext,
  inSpan,
  injectTraceContext,
  SPAN_ATTRIBUTES,
  SpanKind,
  spansAreInert,
  type Link,
} from '#herald/observability';
import { context, propagation, trace, type Attributes } from '@opentelemetry/api';
import type { BusRecord, ConsumedRecord, PublishOptions } from './event-bus';

type OutgoingRecord = Omit<BusRecord, 'headers'> & PublishOptions;

/**
 * Publishes inside a PRODUCER span whose W3C trace context (`traceparent`) goes into every
 * record's headers, so the consumer's span continues the same trace (one trace per IM). Without
 * tracing and outside any trace the records go as they are, with no headers.
 */
export function publishTraced(
  system: 'kafka' | 'in-process' | 'edge-link',
  records: ReadonlyArray<OutgoingRecord>,
  send: (records: ReadonlyArray<BusRecord>) => Promise<void>,
): Promise<void> {
  const active = context.active();
  if (spansAreInert(active) && propagation.getBaggage(active) === undefined) {
    return send(records.map((record) => ({ ...record, headers: record.headers ?? {} })));
  }
  const topics = [...new Set(records.map((record) => record.topic))];
  return inSpan(
    `send ${topics.join(',')}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [SPAN_ATTRIBUTES.messagingSystem]: system,
        [SPAN_ATTRIBUTES.messagingOperation]: 'send',
        [SPAN_ATTRIBUTES.messagingDestination]: topics.join(','),
      },
    },
    () => send(records.map((record) => ({ ...record, headers: injectTraceContext(record.headers) }))),
  );
}

/**
 * Whether a record's handling needs no span: no tracer, no trace context in its headers (a record
 * published outside any trace has none) and none active.
 */
function untraced(record: ConsumedRecord): boolean {
  for (const name in record.headers) {
    if (Object.hasOwn(record.headers, name)) return false;
  }
  return spansAreInert();
}

/** Runs a handler in a CONSUMER span that continues the trace the record's headers carry. */
export function handleTraced(
  record: ConsumedRecord,
  handler: (record: ConsumedRecord) => Promise<void>,
): Promise<void> {
  if (untraced(record)) return handler(record);
  return inSpan(
    `process ${record.topic}`,
    {
      kind: SpanKind.CONSUMER,
      parent: extractTraceContext(record.headers),
      attributes: processAttributes(record),
    },
    () => handler(record),
  );
}

/**
 * Runs a run handler in one CONSUMER span: it continues the trace of the run's first record and
 * links every record's producer span, so each record's trace stays connected to the work done.
 */
export function handleRunTraced(
  run: ReadonlyArray<ConsumedRecord>,
  handleRun: (records: ReadonlyArray<ConsumedRecord>) => Promise<void>,
): Promise<void> {
  const first = run[0];
  if (first === undefined) {
    return Promise.resolve();
  }
  if (run.every(untraced)) return handleRun(run);
  const links = run.flatMap((record): Link[] => {
    const producer = trace.getSpanContext(extractTraceContext(record.headers));
    return producer === undefined ? [] : [{ context: producer }];
  });
  return inSpan(
    `process ${first.topic}`,
    {
      kind: SpanKind.CONSUMER,
      parent: extractTraceContext(first.headers),
      links,
      attributes: { ...processAttributes(first), [SPAN_ATTRIBUTES.messagingBatchMessageCount]: run.length },
    },
    () => handleRun(run),
  );
}

/** A consumer span's attributes: where the (first) record handled comes from. */
function processAttributes(record: ConsumedRecord): Attributes {
  return {
    [SPAN_ATTRIBUTES.messagingOperation]: 'process',
    [SPAN_ATTRIBUTES.messagingDestination]: record.topic,
    [SPAN_ATTRIBUTES.messagingPartition]: String(record.partition),
    [SPAN_ATTRIBUTES.messagingOffset]: record.offset,
  };
}
