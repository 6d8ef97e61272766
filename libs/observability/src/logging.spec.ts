import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { readTelemetrySettings } from '#herald/config';
import { context, diag, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  componentLogger,
  heraldLoggerOptions,
  logOpenTelemetryDiagnostics,
  logProcessWarnings,
  logTo,
  nestLogger,
} from './logging';
import { inSpan, SpanKind } from './tracing';

describe('the log pipeline', () => {
  let lines: Record<string, unknown>[];
  let restore: () => void;

  beforeEach(() => {
    lines = [];
    restore = logTo({ write: (line: string) => void lines.push(JSON.parse(line)) });
  });
  afterEach(() => restore());

  it('writes one JSON object per line, the level as its name and the stable code as a field', () => {
    componentLogger('Edge').warn({ code: 'EDGE_PUBLISH_FAILED', topic: 't' }, 'publishing failed');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        component: 'Edge',
        code: 'EDGE_PUBLISH_FAILED',
        topic: 't',
        msg: 'publishing failed',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('trace_id');
  });

  it("writes Nest's lines through the same logger, the context as a field", () => {
    const nest = nestLogger();
    nest.log('Nest application successfully started', 'NestApplication');
    nest.error('boom', 'Error: boom\n    at somewhere (file.ts:1:1)', 'ExceptionsHandler');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        context: 'NestApplication',
        msg: 'Nest application successfully started',
      }),
      expect.objectContaining({
        level: 'error',
        context: 'ExceptionsHandler',
        err: expect.objectContaining({ stack: expect.stringContaining('at somewhere') }),
      }),
    ]);
  });

  it("writes Node's process warnings as JSON lines, not Node's text", () => {
    const saved = process.listeners('warning');
    logProcessWarnings();
    try {
      // What process.emitWarning emits (directly: jest's sandboxed process is not the one it emits on).
      const warning = new Error('-1 is a negative number.');
      warning.name = 'TimeoutNegativeWarning';
      process.emit('warning', warning);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'warn',
          code: 'NODE_WARNING',
          msg: '-1 is a negative number.',
          err: expect.objectContaining({ name: 'TimeoutNegativeWarning' }),
        }),
      ]);
    } finally {
      process.removeAllListeners('warning');
      for (const listener of saved) process.on('warning', listener);
    }
  });

  it("writes OpenTelemetry's diagnostics as JSON lines at OTEL_LOG_LEVEL", () => {
    logOpenTelemetryDiagnostics(readTelemetrySettings({ OTEL_LOG_LEVEL: 'warn' }).diagnosticsLevel);
    try {
      diag.error('Accessing resource attributes before async attributes settled');
      diag.info('not at warn');
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'error',
          component: 'OpenTelemetry',
          code: 'OTEL_DIAG',
          msg: 'Accessing resource attributes before async attributes settled',
        }),
      ]);
    } finally {
      diag.disable();
    }
  });

  describe('inside a span', () => {
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      trace.setGlobalTracerProvider(
        new TracerProvider({
          spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
        }),
      );
    });
    afterAll(() => {
      trace.disable();
      context.disable();
    });

    it('adds trace_id and span_id of the active span', async () => {
      const ids = await inSpan('work', { kind: SpanKind.INTERNAL }, async (span) => {
        await Promise.resolve();
        componentLogger('Worker').info({ code: 'WORK_DONE' }, 'done');
        return span.spanContext();
      });
      componentLogger('Worker').info({ code: 'AFTER' }, 'outside');
      expect(lines[0]).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
      expect(lines[1]).not.toHaveProperty('trace_id');
    });
  });
});

describe('heraldLoggerOptions', () => {
  it('reads HERALD_LOG_LEVEL in any case, info when it is not a level (validation rejects it)', () => {
    expect(heraldLoggerOptions({ HERALD_LOG_LEVEL: 'DEBUG' }, false).level).toBe('debug');
    expect(heraldLoggerOptions({ HERALD_LOG_LEVEL: 'loud' }, false).level).toBe('info');
  });

  it('pretty-prints only to a terminal', () => {
    expect(heraldLoggerOptions({}, false).transport).toBeUndefined();
    expect(heraldLoggerOptions({}, true).transport).toEqual({ target: 'pino-pretty' });
  });
});
