import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { readConfig } from './config.ts';
import { injectTraceContext, startTracing, tracing } from './tracing.ts';

const settings = readConfig({}).traces;
const startedSpanRecords = () => trace.getTracer('test').startSpan('probe').isRecording();

describe('startTracing', () => {
  it('is off by default: nothing is registered and no span records', async () => {
    expect(settings.exporter).toBe('none');
    const started = startTracing(settings);
    expect(tracing()).toBe(false);
    expect(startedSpanRecords()).toBe(false);
    const headers = new Map<string, string>();
    injectTraceContext((name, value) => headers.set(name, value));
    expect(headers.size).toBe(0);
    await started.close();
  });

  it('records spans into the exporter while attached, and none once closed', async () => {
    const exporter = new InMemorySpanExporter();
    const started = startTracing(settings, exporter);
    expect(tracing()).toBe(true);
    await trace.getTracer('test').startActiveSpan('outer', async (span) => {
      const headers = new Map<string, string>();
      injectTraceContext((name, value) => headers.set(name, value));
      expect(headers.get('traceparent')).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
      span.end();
    });
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['outer']);
    await started.close();
    expect(tracing()).toBe(false);
    expect(startedSpanRecords()).toBe(false);
  });
});
