import type { CloudEvent } from '../cloud-event.ts';
import type { TraceCarrier } from '../tracing/trace-carrier.ts';
import type { ConsumeOutcome } from './consumer-stats.ts';

/** What the consumer knows about a delivery when its span starts. */
export interface ConsumeSpanInfo {
  readonly event: CloudEvent;
  readonly group: string;
  /** The broker's name (`memory`, `postgres`, `nats`, …). */
  readonly broker: string;
  readonly topic: string;
  readonly key: string;
  /** The broker's delivery count (1 on first delivery). */
  readonly attempt: number;
  /** W3C trace context the producer's transaction stored in the event. */
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly baggage: string | undefined;
  /**
   * W3C context the transport carried beside the event (the relay's `relay.publish` span), when
   * the transport has a place for it (see `Delivery.traceContext`).
   */
  readonly transportContext: TraceCarrier | undefined;
}

/** One consume span, from delivery to its final outcome. */
export interface ConsumeSpan {
  /** Runs one handler attempt inside the span's context, so the handler's spans are children. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Called once with the delivery's final outcome (and the last error, if any). */
  end(outcome: ConsumeOutcome, error?: unknown): void;
}

/**
 * Where the consume span starts. The consumer calls `start()` once per delivery, before
 * validation, runs every handler attempt inside `run()`, and ends the span with the final
 * outcome. The default is {@link openTelemetryConsumeTrace} (`../tracing/otel-consume-trace.ts`);
 * pass `noopConsumeTrace` to turn consume spans off, or your own hook.
 */
export interface ConsumeTraceHook {
  start(info: ConsumeSpanInfo): ConsumeSpan;
}

/** No consume spans: handlers run in whatever context the broker called them in. */
export const noopConsumeTrace: ConsumeTraceHook = {
  start: () => ({ run: (fn) => fn(), end: () => {} }),
};
