import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  extractTraceContext,
  hashAor,
  injectTraceContext,
  inSpan,
  spansAreInert,
  startSpan,
  withActiveSpan,
} from './tracing';

/** Computed with openssl, independently of node:crypto: `printf %s 'sip:alice@herald.test' | openssl dgst -sha256 -hmac key-1`. */
const KNOWN_VECTOR = '2ea1a10f7c8b10ed';

describe('hashAor', () => {
  it('is stable, 16 hex characters, and blind to the case of the AOR', () => {
    const hash = hashAor('sip:alice@herald.test', 'key-1');
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(hashAor('sip:alice@herald.test', 'key-1')).toBe(hash);
    expect(hashAor('SIP:Alice@Herald.Test', 'key-1')).toBe(hash);
  });

  it('is the truncated HMAC-SHA256 of docs/observability.md (a known vector)', () => {
    expect(hashAor('sip:alice@herald.test', 'key-1')).toBe(KNOWN_VECTOR);
  });

  it("differs per AOR and per key (one deployment cannot match another's hashes)", () => {
    const alice = hashAor('sip:alice@herald.test', 'key-1');
    expect(hashAor('sip:bob@herald.test', 'key-1')).not.toBe(alice);
    expect(hashAor('sip:alice@herald.test', 'key-2')).not.toBe(alice);
    // Back to the first key: nothing of key-2 is kept for it.
    expect(hashAor('sip:alice@herald.test', 'key-1')).toBe(alice);
  });

  it('hashes with a fixed key when none is given: stable, not the key of a keyed deployment', () => {
    expect(hashAor('sip:alice@herald.test')).toBe(hashAor('sip:alice@herald.test'));
    expect(hashAor('sip:alice@herald.test')).not.toBe(hashAor('sip:alice@herald.test', 'key-1'));
  });
});

describe('trace context in record headers', () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  const spanContext = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
  };

  it('injects traceparent beside the existing headers and extracts the same span context', () => {
    const headers = injectTraceContext(
      { 'x-other': 'kept' },
      trace.setSpanContext(ROOT_CONTEXT, spanContext),
    );
    expect(headers).toEqual({
      'x-other': 'kept',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(trace.getSpanContext(extractTraceContext(headers))).toEqual({ ...spanContext, isRemote: true });
  });

  it('does not modify the headers it is given', () => {
    const original = { 'x-other': 'kept' };
    injectTraceContext(original, trace.setSpanContext(ROOT_CONTEXT, spanContext));
    expect(original).toEqual({ 'x-other': 'kept' });
  });

  it('extracts no span context from headers without traceparent', () => {
    expect(trace.getSpanContext(extractTraceContext({ 'x-other': 'kept' }))).toBeUndefined();
  });
});

describe('spans with nothing to record or propagate', () => {
  const incoming = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
  };
  const activeSpanContext = () => trace.getSpanContext(context.active());

  beforeAll(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  afterAll(() => context.disable());
  afterEach(() => {
    trace.disable();
    jest.restoreAllMocks();
  });

  it('runs the work without switching context when tracing is off and no trace came in', async () => {
    const switched = jest.spyOn(context, 'with');
    await expect(
      inSpan('work', { kind: SpanKind.INTERNAL }, async () => activeSpanContext()),
    ).resolves.toBeUndefined();
    const span = startSpan('push', { kind: SpanKind.CLIENT });
    expect(withActiveSpan(span, () => 'done')).toBe('done');
    expect(switched).not.toHaveBeenCalled();
    await expect(
      inSpan('failing', { kind: SpanKind.INTERNAL }, async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
  });

  it('still carries an incoming trace on when tracing is off (its span is not recorded)', async () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, incoming);
    const inside = await inSpan('work', { kind: SpanKind.CONSUMER, parent }, async () => activeSpanContext());
    expect(inside).toMatchObject({ traceId: incoming.traceId, spanId: incoming.spanId });
  });

  it('tells ahead that a span would be inert: only without a tracer and outside any trace', () => {
    expect(spansAreInert()).toBe(true);
    expect(spansAreInert(trace.setSpanContext(ROOT_CONTEXT, incoming))).toBe(false);
    trace.setGlobalTracerProvider(new TracerProvider());
    expect(spansAreInert()).toBe(false);
  });

  it('builds attributes given as a function only for a span it makes, and records them', async () => {
    const build = jest.fn(() => ({ 'sip.method': 'INFO' }));
    startSpan('push', { kind: SpanKind.CLIENT, attributes: build });
    await inSpan('work', { kind: SpanKind.SERVER, attributes: build }, async () => undefined);
    expect(build).not.toHaveBeenCalled();

    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
    startSpan('push', { kind: SpanKind.CLIENT, attributes: build }).end();
    await inSpan('work', { kind: SpanKind.SERVER, attributes: build }, async () => undefined);
    expect(build).toHaveBeenCalledTimes(2);
    expect(exporter.getFinishedSpans().map((span) => span.attributes)).toEqual([
      { 'sip.method': 'INFO' },
      { 'sip.method': 'INFO' },
    ]);
  });

  it('makes a recorded span active', async () => {
    trace.setGlobalTracerProvider(
      new TracerProvider({
        spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
      }),
    );
    const span = startSpan('push', { kind: SpanKind.CLIENT });
    expect(span.isRecording()).toBe(true);
    expect(withActiveSpan(span, () => activeSpanContext())).toEqual(span.spanContext());
    const [own, active] = await inSpan('work', { kind: SpanKind.INTERNAL }, async (current) => [
      current.spanContext(),
      activeSpanContext(),
    ]);
    expect(active).toEqual(own);
  });
});
