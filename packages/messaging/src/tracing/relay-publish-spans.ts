import { type Span, SpanKind, trace } from '@opentelemetry/api';
import type { OutgoingMessage, PublishResult } from '../broker.ts';
import {
  MESSAGING_SPAN_ATTRIBUTES as ATTR,
  failSpan,
  MESSAGING_SPAN_NAMES,
  messagingTracer,
} from './messaging-tracer.ts';
import { carrierFrom, contextFrom, eventCarrier } from './trace-carrier.ts';

/** The `relay.publish` spans of one batch, to end with the broker's results. */
export interface PublishSpans {
  end(results: readonly (PublishResult | undefined)[]): void;
}

/** What the spans say about where the batch goes. */
export interface PublishSpanInfo {
  /** The broker's name (`messaging.system`). */
  readonly system: string;
  readonly relayId: string;
}

/**
 * Starts one `relay.publish` span (PRODUCER) per message whose event carries a `traceparent`,
 * as a child of that stored context (so it joins the request's trace and follows its sampled
 * flag), and sets the message's `traceContext` to the span's context for the transport headers.
 * Messages are replaced in place. Events without a trace context (or a process without an
 * OpenTelemetry propagator) cost a property check each and get no span: the relay only continues
 * traces, it does not start one per event. Returns undefined when no span was started.
 */
export function startPublishSpans(
  messages: OutgoingMessage[],
  info: PublishSpanInfo,
): PublishSpans | undefined {
  let spans: (Span | undefined)[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as OutgoingMessage;
    const stored = eventCarrier(message.event);
    if (stored === undefined) continue;
    const parent = contextFrom(stored);
    // No propagator registered (no SDK in this process) or an unreadable traceparent.
    if (trace.getSpanContext(parent) === undefined) continue;
    const span = messagingTracer().startSpan(
      MESSAGING_SPAN_NAMES.relayPublish,
      { kind: SpanKind.PRODUCER },
      parent,
    );
    if (span.isRecording()) {
      const { event, topic } = message;
      span.setAttributes({
        [ATTR.system]: info.system,
        [ATTR.operationType]: 'send',
        [ATTR.operationName]: 'publish',
        [ATTR.destination]: topic,
        [ATTR.messageId]: event.id,
        [ATTR.batchCount]: messages.length,
        [ATTR.eventId]: event.id,
        [ATTR.eventSource]: event.source,
        [ATTR.eventType]: event.type,
        ...(event.subject === undefined ? {} : { [ATTR.eventSubject]: event.subject }),
        [ATTR.relayId]: info.relayId,
      });
    }
    // Baggage comes along from the stored context.
    messages[i] = { ...message, traceContext: carrierFrom(trace.setSpan(parent, span)) };
    spans ??= new Array(messages.length);
    spans[i] = span;
  }
  if (spans === undefined) return undefined;
  const started = spans;
  return {
    end(results) {
      started.forEach((span, i) => {
        if (span === undefined) return;
        const result = results[i];
        if (!result?.ok) failSpan(span, result?.error ?? new Error('no result from the broker'));
        span.end();
      });
    },
  };
}
