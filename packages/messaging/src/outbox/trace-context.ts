import { context, propagation } from '@opentelemetry/api';

/** W3C trace context of the active span, as carried by an outbox row and a CloudEvent. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
  baggage?: string;
}

/**
 * The active W3C trace context (`traceparent`, `tracestate`, `baggage`), through the globally
 * registered OpenTelemetry propagator. Without an SDK registered it is empty, and rows carry none.
 */
export function activeTraceContext(): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const result: TraceCarrier = {};
  if (carrier.traceparent) result.traceparent = carrier.traceparent;
  if (carrier.tracestate) result.tracestate = carrier.tracestate;
  if (carrier.baggage) result.baggage = carrier.baggage;
  return result;
}
