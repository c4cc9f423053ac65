import type { CloudEvent } from '../cloud-event.ts';
import type { ConsumeOutcome } from './consumer-stats.ts';

/** What the consumer knows about a delivery when its span starts. */
export interface ConsumeSpanInfo {
  readonly event: CloudEvent;
  readonly group: string;
  readonly topic: string;
  readonly key: string;
  /** The broker's delivery count (1 on first delivery). */
  readonly attempt: number;
  /** W3C trace context the producer's transaction stored in the event. */
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly baggage: string | undefined;
}

/** One consume span, from delivery to its final outcome. */
export interface ConsumeSpan {
  /** Runs one handler attempt inside the span's context, so the handler's spans are children. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Called once with the delivery's final outcome (and the last error, if any). */
  end(outcome: ConsumeOutcome, error?: unknown): void;
}

/**
 * TRACING HOOK POINT — the consume span starts here. The consumer calls `start()` once per
 * delivery, before validation, and ends the span with the final outcome. Outrig's tracing
 * (OpenTelemetry) plugs in through this interface: extract `traceparent`/`tracestate`/`baggage`
 * from the event, start a CONSUMER span as their child, and make it active inside `run()`.
 */
export interface ConsumeTraceHook {
  start(info: ConsumeSpanInfo): ConsumeSpan;
}

/** The default: no tracing. */
export const noopTrace: ConsumeTraceHook = {
  start: () => ({ run: (fn) => fn(), end: () => {} }),
};
