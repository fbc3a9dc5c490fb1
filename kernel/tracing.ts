/*
 * OpenTelemetry traces, off unless OTEL_TRACES_EXPORTER names an exporter. The gateway's spans come
 * from @apollo/gateway itself (gateway.request, gateway.plan, gateway.execute, gateway.fetch per
 * subgraph fetch, ...), written to the global tracer; this file registers the provider behind it,
 * opens a server span per HTTP request at the gateway (continuing a client's `traceparent`), carries
 * the W3C trace context to the subgraphs in `traceparent` (over HTTP and in process alike, as the
 * request id), and opens one span per subgraph operation, a child of the gateway's fetch span.
 *
 * The provider is registered once per process and stays: Apollo's tracer keeps the first provider
 * it meets. What starts and stops with a system is its exporter; while none is attached, the sampler
 * records nothing, and this file's own code makes no span at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context as TraceContext, type TextMapGetter } from '@opentelemetry/api';
import type { ApolloServerPlugin } from '@apollo/server';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SamplingDecision,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { TraceSettings } from './config.ts';
import type { HeadersLike } from './http.ts';

/** The span processors of the systems running in this process with traces on. */
const attached = new Set<SpanProcessor>();
let provider: BasicTracerProvider | undefined;

/** Whether spans are being made: a system with an exporter runs in this process. */
export function tracing(): boolean {
  return attached.size > 0;
}

/** Hands each span to every attached processor. */
const fanOut: SpanProcessor = {
  onStart: (span: Span, parent: TraceContext) => attached.forEach((processor) => processor.onStart(span, parent)),
  onEnd: (span: ReadableSpan) => attached.forEach((processor) => processor.onEnd(span)),
  forceFlush: async () => void (await Promise.all([...attached].map((processor) => processor.forceFlush()))),
  shutdown: async () => undefined,
};

/** Records as a parent-based sampler would, but only while an exporter is attached. */
const whileAttached: Sampler = {
  shouldSample: (...args) => (tracing() ? parentBased.shouldSample(...args) : { decision: SamplingDecision.NOT_RECORD }),
  toString: () => 'ParentBased{AlwaysOn} while an exporter is attached',
};
const parentBased = new ParentBasedSampler({ root: new AlwaysOnSampler() });

/**
 * Starts sending spans where `settings` say (or to `exporter`, which wins: tests pass an in-memory
 * one); returns how to stop. With neither, nothing is registered and nothing is made.
 */
export function startTracing(settings: TraceSettings, exporter?: SpanExporter): { close(): Promise<void> } {
  const chosen = exporter ?? exporterFor(settings);
  if (!chosen) return { close: async () => undefined };
  if (!provider) {
    provider = new BasicTracerProvider({ resource: new Resource({ 'service.name': settings.serviceName }), sampler: whileAttached, spanProcessors: [fanOut] });
    provider.register({ contextManager: new AsyncLocalStorageContextManager().enable(), propagator: new W3CTraceContextPropagator() });
  }
  // One span at a time for a given exporter (tests read them at once); batches for a collector.
  const processor = exporter || settings.exporter === 'console' ? new SimpleSpanProcessor(chosen) : new BatchSpanProcessor(chosen);
  attached.add(processor);
  return {
    close: async () => {
      attached.delete(processor);
      await processor.shutdown();
    },
  };
}

function exporterFor(settings: TraceSettings): SpanExporter | undefined {
  if (settings.exporter === 'console') return new ConsoleSpanExporter();
  if (settings.exporter === 'otlp') return new OTLPTraceExporter({ url: settings.endpoint });
  return undefined;
}

const tracer = () => trace.getTracer('register-graph');

/** Writes the active trace context as `traceparent` (and `tracestate`), for a subgraph fetch. */
export function injectTraceContext(set: (name: string, value: string) => void): void {
  if (!tracing()) return;
  propagation.inject(context.active(), undefined, { set: (_carrier, name, value) => set(name, value) });
}

const fromHeaders: TextMapGetter<HeadersLike> = { get: (headers, name) => headers.get(name), keys: () => [] };

/** The trace context a request arrived with (`traceparent`); undefined while tracing is off. */
export function extractTraceContext(headers: HeadersLike): TraceContext | undefined {
  return tracing() ? propagation.extract(ROOT_CONTEXT, headers, fromHeaders) : undefined;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * `handler` inside a server span per request, continuing the client's `traceparent`: the gateway's
 * own spans become its children. While tracing is off the request goes straight through.
 */
export function tracedHandler(handler: Handler): Handler {
  return async (request, response) => {
    if (!tracing()) return handler(request, response);
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const path = (request.url ?? '/').split('?')[0]!;
    const span = tracer().startSpan(
      `${request.method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method ?? '', 'url.path': path } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), () => handler(request, response));
      span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  };
}

/**
 * A span per operation a subgraph serves, a child of the context it arrived with (the gateway's
 * fetch span, by `traceparent`), from the moment the request starts until its answer goes out.
 */
export function subgraphSpans<Context extends { traceContext: TraceContext | undefined }>(subgraph: string): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      if (!tracing()) return;
      const span = tracer().startSpan(
        `subgraph ${subgraph}`,
        { kind: SpanKind.SERVER, attributes: { 'register.subgraph': subgraph } },
        contextValue.traceContext ?? ROOT_CONTEXT,
      );
      return {
        async didResolveOperation({ operationName, operation }) {
          span.setAttributes({
            'graphql.operation.type': operation?.operation ?? 'unknown',
            ...(operationName ? { 'graphql.operation.name': operationName } : {}),
          });
        },
        async willSendResponse({ errors }) {
          if (errors?.length) span.setStatus({ code: SpanStatusCode.ERROR, message: String(errors[0]!.extensions?.code ?? 'error') });
          span.end();
        },
      };
    },
  };
}
