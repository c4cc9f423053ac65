import { context } from '@opentelemetry/api';
import { carrierFrom, type TraceCarrier } from '../tracing/trace-carrier.ts';

export type { TraceCarrier } from '../tracing/trace-carrier.ts';

/**
 * The active W3C trace context (`traceparent`, `tracestate`, `baggage`), through the globally
 * registered OpenTelemetry propagator. Without an SDK registered it is empty, and rows carry none.
 */
export function activeTraceContext(): TraceCarrier {
  return carrierFrom(context.active());
}
