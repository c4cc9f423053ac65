import { type Context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';

/**
 * W3C trace context as text: what an outbox row, a CloudEvent (distributed-tracing extension) and
 * transport headers carry. `baggage` is the W3C Baggage header.
 */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
  baggage?: string;
}

/** The context `carrier` describes (remote span + baggage), through the global propagator. */
export function contextFrom(carrier: TraceCarrier): Context {
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/**
 * The W3C fields of `ctx`, through the global propagator. Empty without a propagator registered
 * (no OpenTelemetry SDK) or without a valid span in `ctx`.
 */
export function carrierFrom(ctx: Context): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const result: TraceCarrier = {};
  if (carrier.traceparent) result.traceparent = carrier.traceparent;
  if (carrier.tracestate) result.tracestate = carrier.tracestate;
  if (carrier.baggage) result.baggage = carrier.baggage;
  return result;
}

/** The W3C fields of an event (or any record with them) when it has a `traceparent`. */
export function eventCarrier(source: unknown): TraceCarrier | undefined {
  const s = source as { traceparent?: unknown; tracestate?: unknown; baggage?: unknown } | null;
  if (typeof s?.traceparent !== 'string') return undefined;
  const carrier: TraceCarrier = { traceparent: s.traceparent };
  if (typeof s.tracestate === 'string') carrier.tracestate = s.tracestate;
  if (typeof s.baggage === 'string') carrier.baggage = s.baggage;
  return carrier;
}
