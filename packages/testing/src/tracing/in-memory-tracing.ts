import { context, propagation, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

export type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** Options of {@link createInMemoryTracing}. */
export interface InMemoryTracingOptions {
  /** Default: parent-based, always on (a sampled-out parent yields non-recording children). */
  readonly sampler?: Sampler;
}

/** A global OpenTelemetry SDK for one test file, keeping finished spans in memory. */
export interface InMemoryTracing {
  /** A tracer of the registered provider, for the test's own spans (e.g. a "request" span). */
  readonly tracer: Tracer;
  /** Spans finished so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** Finished spans called `name`. */
  spansNamed(name: string): ReadableSpan[];
  /** Forgets the finished spans. */
  reset(): void;
  /** Shuts the provider down and unregisters the provider, propagator and context manager. */
  shutdown(): Promise<void>;
}

/**
 * Registers, globally through `@opentelemetry/api`, what a service's SDK would: a tracer provider
 * exporting synchronously to memory, W3C trace-context + baggage propagators and the
 * AsyncLocalStorage context manager. Code under test that uses only `@opentelemetry/api` then
 * records real spans. Call `shutdown()` after the file (it unregisters everything).
 *
 * @throws when a tracer provider, propagator or context manager is already registered.
 * @example
 * let tracing: InMemoryTracing;
 * beforeAll(() => { tracing = createInMemoryTracing(); });
 * afterAll(() => tracing.shutdown());
 * it('traces', async () => {
 *   await tracing.tracer.startActiveSpan('request', async (span) => { await work(); span.end(); });
 *   expect(tracing.spansNamed('outbox.write')).toHaveLength(1);
 * });
 */
export function createInMemoryTracing(options: InMemoryTracingOptions = {}): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    sampler: options.sampler ?? new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const propagator = new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
  const unregister = () => {
    trace.disable();
    propagation.disable();
    context.disable();
  };
  const registered = [
    trace.setGlobalTracerProvider(provider),
    propagation.setGlobalPropagator(propagator),
    context.setGlobalContextManager(contextManager),
  ];
  if (registered.includes(false)) {
    // Undo only what this call registered: the other registration is someone else's.
    if (registered[0]) trace.disable();
    if (registered[1]) propagation.disable();
    if (registered[2]) context.disable();
    contextManager.disable();
    throw new Error(
      'createInMemoryTracing: an OpenTelemetry tracer provider, propagator or context manager is already registered; shut it down first',
    );
  }
  let stopped: Promise<void> | undefined;
  return {
    tracer: provider.getTracer('@outrig/testing'),
    spans: () => exporter.getFinishedSpans(),
    spansNamed: (name) => exporter.getFinishedSpans().filter((s) => s.name === name),
    reset: () => exporter.reset(),
    shutdown() {
      stopped ??= (async () => {
        await provider.shutdown();
        unregister();
      })();
      return stopped;
    },
  };
}
