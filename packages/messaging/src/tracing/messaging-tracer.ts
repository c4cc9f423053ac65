import { type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';

/** Instrumentation scope of every span @outrig/messaging starts. */
export const MESSAGING_TRACER_NAME = '@outrig/messaging';

/** The span names @outrig/messaging starts (stable: dashboards and tests match on them). */
export const MESSAGING_SPAN_NAMES = {
  /** INTERNAL, around writing outbox rows in the producer's transaction. */
  outboxWrite: 'outbox.write',
  /** PRODUCER, one per event the relay hands to the broker. */
  relayPublish: 'relay.publish',
  /** CONSUMER, one per delivery, around the handler attempts (inbox insert, handler, commit). */
  consume: 'consume',
} as const;

/**
 * Attribute keys: OpenTelemetry messaging and CloudEvents semantic conventions, plus `outrig.*`
 * for what they have no name for.
 */
export const MESSAGING_SPAN_ATTRIBUTES = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  consumerGroup: 'messaging.consumer.group.name',
  eventId: 'cloudevents.event_id',
  eventSource: 'cloudevents.event_source',
  eventType: 'cloudevents.event_type',
  eventSubject: 'cloudevents.event_subject',
  relayId: 'outrig.relay.id',
  deliveryAttempt: 'outrig.delivery.attempt',
  consumeAttempts: 'outrig.consume.attempts',
  consumeOutcome: 'outrig.consume.outcome',
} as const;

/**
 * The tracer, looked up on every use: a cached ProxyTracer would keep the first provider it saw,
 * and a service (or a test) may register its SDK after this module loaded.
 */
export function messagingTracer(): Tracer {
  return trace.getTracer(MESSAGING_TRACER_NAME);
}

/** Records `error` on `span` as an exception event and sets its status to ERROR. */
export function failSpan(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  recordError(span, error);
  setErrorStatus(span, error);
}

/** Adds an `exception` event for `error` (an Error, or anything as its text). */
export function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  else if (error !== undefined) span.recordException(String(error));
}

/** Sets the span's status to ERROR with the error's (code and) message. */
export function setErrorStatus(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return (typeof code === 'string' ? `${code}: ` : '') + error.message;
  }
  return error === undefined ? 'failed' : String(error);
}
