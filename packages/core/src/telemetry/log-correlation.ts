import { context, isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * A pino `mixin`: `trace_id` and `span_id` of the active span on every log line, so a log line
 * leads to its trace and back. One context lookup when no span is active (tracing off).
 * Returns a fresh object each time: pino merges the line's own fields into it.
 *
 * @example
 * const logger = pino({ mixin: traceLogFields });
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}
