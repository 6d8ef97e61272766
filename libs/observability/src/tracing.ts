import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/**
 * Span attribute names. Messaging ones follow the OpenTelemetry semantic conventions; SIP ones
 * have no convention, so they live under `sip.*`; the AOR only ever appears hashed.
 */
export const SPAN_ATTRIBUTES = {
  sipMethod: 'sip.method',
  sipCallId: 'sip.call_id',
  sipResponseCode: 'sip.response.status_code',
  sipTransport: 'sip.transport',
  aorHash: 'herald.aor.hash',
  messagingSystem: 'messaging.system',
  messagingOperation: 'messaging.operation.type',
  messagingDestination: 'messaging.destination.name',
  messagingPartition: 'messaging.destination.partition.id',
  messagingOffset: 'messaging.kafka.offset',
  messagingConsumerGroup: 'messaging.consumer.group.name',
  messagingBatchMessageCount: 'messaging.batch.message_count',
} as const;

/** Hex characters kept of the AOR's HMAC: 64 bits, enough to follow one user, useless to guess from. */
const AOR_HASH_HEX_LENGTH = 16;
/** Without HERALD_AOR_HASH_KEY the hash is still stable per deployment, but guessable for known AORs. */
const UNKEYED_AOR_HASH_KEY = 'herald-aor';

const TRACER_NAME = 'herald';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * True when a span started under `parent` would record and propagate nothing: no tracer is
 * installed (the SDK installs none without a trace exporter) and `parent` carries no valid span
 * context (no trace came in). Checked before a bus record's span is built, so a process without
 * tracing skips the span's attributes, the header extraction and the span per record and per
 * publish; it is what inSpan finds out after starting the span, asked first.
 */
export function spansAreInert(parent: Context = context.active()): boolean {
  const provider = trace.getTracerProvider();
  // The global provider is always this proxy; it has a delegate once a tracer provider is set.
  if (!(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER_NAME) !== undefined) {
    return false;
  }
  const spanContext = trace.getSpanContext(parent);
  return spanContext === undefined || !isSpanContextValid(spanContext);
}

/**
 * The AOR as spans carry it: HMAC-SHA256 of the lower-cased AOR keyed with `key` (the edge's
 * HERALD_AOR_HASH_KEY, read in libs/config), hex, truncated to 16 characters (docs/observability.md).
 */
export function hashAor(aor: string, key: string = UNKEYED_AOR_HASH_KEY): string {
  return createHmac('sha256', aorHashKeyObject(key))
    .update(aor.toLowerCase())
    .digest('hex')
    .slice(0, AOR_HASH_HEX_LENGTH);
}

/**
 * The last key used, imported once: createHmac with a string key imports it on every call, which
 * was most of the cost of hashing (every span of every request hashes its AOR).
 */
let lastAorHashKey: { text: string; key: KeyObject } | undefined;

function aorHashKeyObject(text: string): KeyObject {
  if (lastAorHashKey?.text !== text) {
    lastAorHashKey = { text, key: createSecretKey(Buffer.from(text, 'utf8')) };
  }
  return lastAorHashKey.key;
}

/** Adds the W3C trace context (`traceparent`, `tracestate`) of `ctx` to record headers. */
export function injectTraceContext(
  headers: Record<string, string> = {},
  ctx: Context = context.active(),
): Record<string, string> {
  const carrier = { ...headers };
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context that record headers carry (the active one when they carry none). */
export function extractTraceContext(headers: Readonly<Record<string, string>>): Context {
  return propagation.extract(context.active(), headers);
}

/**
 * The span of work nothing traces (spansAreInert): the no-op span the API's tracer would build,
 * shared. Asking first skips a ProxyTracer, a span and the trace-id checks per SIP request and per
 * push (~1 % of the edge's CPU per IM).
 */
const INERT_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export interface SpanOptions {
  kind: SpanKind;
  /**
   * The span's attributes, or a function building them: called only when a span is made, so work
   * nothing traces builds no attribute object (and reads no header) per SIP request and per push.
   */
  attributes?: Attributes | (() => Attributes);
  /** Parent context; the active one by default. */
  parent?: Context;
  /** Other spans this one is causally related to (e.g. each record of a consumed batch). */
  links?: Link[];
}

/**
 * Runs `work` inside a new span that is active for it (so publishes within carry its context),
 * ends the span when `work` settles and marks it failed when `work` rejects (rethrowing).
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  if (spansAreInert(parent)) return work(INERT_SPAN);
  const span = tracer().startSpan(
    name,
    { kind: options.kind, attributes: attributesOf(options), links: options.links },
    parent,
  );
  if (isInert(span)) return work(span);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/** Starts a span that outlives the current call (a SIP client transaction); the caller ends it. */
export function startSpan(name: string, options: SpanOptions): Span {
  const parent = options.parent ?? context.active();
  if (spansAreInert(parent)) return INERT_SPAN;
  return tracer().startSpan(
    name,
    { kind: options.kind, attributes: attributesOf(options), links: options.links },
    parent,
  );
}

function attributesOf(options: SpanOptions): Attributes | undefined {
  return typeof options.attributes === 'function' ? options.attributes() : options.attributes;
}

/** Runs `work` with `span` active (publishes within it carry its context). */
export function withActiveSpan<T>(span: Span, work: () => T): T {
  if (isInert(span)) return work();
  return context.with(trace.setSpan(context.active(), span), work);
}

/**
 * A span with nothing to record or propagate: tracing is off (no tracer provider) and no trace
 * came in. Making it active would only cost a context switch (new context maps, an
 * AsyncLocalStorage frame) per request and per push; an unrecorded span of a valid trace (a
 * sampler's "no") is still made active, so its children and records carry the decision on.
 */
function isInert(span: Span): boolean {
  return !span.isRecording() && !isSpanContextValid(span.spanContext());
}

export { SpanKind, SpanStatusCode, type Link, type Span };
