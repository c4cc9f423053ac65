import type { IncomingMessage } from 'node:http';
import {
  CompositePropagator,
  setGlobalErrorHandler,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NoopSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import type { TracingSettings } from './tracing-config.ts';
import { setActiveTracing, type TracingHandle } from './tracing-state.ts';

/** Kit routes polled by launchers, probes and Prometheus: no spans for them. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

/** Until a service names itself, spans wait for their `service.name` at most this long. */
const NAME_FALLBACK_MS = 10_000;

/** Reports of failed exports are rate-limited to one per this interval. */
const EXPORT_ERROR_INTERVAL_MS = 60_000;

/**
 * Starts the OpenTelemetry NodeSDK with Outrig's choices: W3C trace context and baggage,
 * instrumentations for HTTP (server and client), undici (fetch) and pg, the sampler and OTLP
 * exporter of `settings`, no OTel metrics or logs (metrics are Prometheus, logs are pino).
 * Registers the handle `createService()` uses to name spans' service and flush at shutdown.
 *
 * Call it before the service's own modules are imported (the `--import @outrig/core/telemetry`
 * entry does): instrumentations patch modules as they load.
 */
export function startTracing(settings: TracingSettings): TracingHandle {
  const processor = spanProcessor(settings);
  const named = serviceNameSlot(settings.serviceName);
  const sdk = new NodeSDK({
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': named.value })),
    sampler: sampler(settings),
    spanProcessors: [processor],
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has(pathOf(request.url)),
      }),
      new UndiciInstrumentation(),
      // Only queries inside a traced operation: the relay's and consumers' idle polling stays out.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    ],
  });
  setGlobalErrorHandler(exportErrorReporter());
  sdk.start();
  const handle: TracingHandle = {
    settings,
    nameService: named.set,
    async flush(timeoutMs) {
      named.fallback();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        processor.forceFlush().catch(() => {}),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    },
    async shutdown() {
      named.fallback();
      await sdk.shutdown();
    },
  };
  setActiveTracing(handle);
  return handle;
}

function spanProcessor(settings: TracingSettings): SpanProcessor {
  const exporter = spanExporter(settings);
  return exporter
    ? new BatchSpanProcessor({ exporter, scheduledDelayMillis: settings.exportDelayMs })
    : new NoopSpanProcessor();
}

function spanExporter(settings: TracingSettings): SpanExporter | undefined {
  const target = settings.export;
  if (!target) return undefined;
  if (target.kind === 'console') return new ConsoleSpanExporter();
  return target.protocol === 'http/json'
    ? new OTLPJsonTraceExporter({ url: target.url })
    : new OTLPProtoTraceExporter({ url: target.url });
}

function sampler(settings: TracingSettings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.samplerRatio);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * `service.name` when no variable gave one: a promise the resource waits on (the batch
 * processor awaits async resource attributes before exporting), settled by the first
 * `createService()`, or by a fallback so that exports never wait forever.
 */
function serviceNameSlot(fromEnv: string | undefined): {
  value: string | Promise<string>;
  set(name: string): void;
  fallback(): void;
} {
  if (fromEnv) return { value: fromEnv, set: () => {}, fallback: () => {} };
  let resolve!: (name: string) => void;
  const value = new Promise<string>((r) => {
    resolve = r;
  });
  const fallback = () => resolve(`unknown_service:${process.argv0}`);
  setTimeout(fallback, NAME_FALLBACK_MS).unref();
  return { value, set: (name) => resolve(name), fallback };
}

/**
 * Export failures (collector down, wrong URL) as one stderr line, at most once a minute:
 * visible, never a flood. Other SDK errors are reported the same way.
 */
function exportErrorReporter(): (err: unknown) => void {
  let last = 0;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < EXPORT_ERROR_INTERVAL_MS) {
      suppressed++;
      return;
    }
    const more = suppressed > 0 ? ` (${suppressed} more since the last report)` : '';
    last = now;
    suppressed = 0;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tracing: ${message}${more}\n`);
  };
}

function pathOf(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
