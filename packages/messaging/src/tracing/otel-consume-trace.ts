import { type Attributes, context, type Link, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { ConsumeSpanInfo, ConsumeTraceHook } from '../consumer/consume-trace.ts';
import {
  MESSAGING_SPAN_ATTRIBUTES as ATTR,
  MESSAGING_SPAN_NAMES,
  messagingTracer,
  recordError,
  setErrorStatus,
} from './messaging-tracer.ts';
import { contextFrom, eventCarrier } from './trace-carrier.ts';

/**
 * The consumer's default {@link ConsumeTraceHook}: one `consume` span (CONSUMER) per delivery,
 * through `@opentelemetry/api` only (a no-op without an SDK).
 *
 * - Parent: the context the transport carried (`relay.publish`), else the event's `traceparent`
 *   (the producer's `outbox.write`), else none (a new trace). Its sampled flag is followed.
 * - Link: to the event's `traceparent`, the transaction that committed the event.
 * - Every handler attempt runs with the span (and the parent's baggage) active, so the inbox
 *   insert, the handler's queries and the commit are its children.
 * - Each failed attempt is recorded as an exception; the span ends with `outrig.consume.outcome`
 *   (`handled`, `duplicate`, `dead_lettered`, `released`), `outrig.consume.attempts`, and status
 *   ERROR when the delivery was dead-lettered or released because of an error.
 */
export const openTelemetryConsumeTrace: ConsumeTraceHook = {
  start(info) {
    const producer = eventCarrier(info);
    const producerContext = producer === undefined ? undefined : contextFrom(producer);
    const transport = eventCarrier(info.transportContext);
    const parent = transport === undefined ? (producerContext ?? ROOT_CONTEXT) : contextFrom(transport);
    const producerSpan = producerContext === undefined ? undefined : trace.getSpanContext(producerContext);
    const links: Link[] = producerSpan === undefined ? [] : [{ context: producerSpan }];
    const span = messagingTracer().startSpan(
      MESSAGING_SPAN_NAMES.consume,
      { kind: SpanKind.CONSUMER, links, attributes: consumeAttributes(info) },
      parent,
    );
    const active = trace.setSpan(parent, span);
    let attempts = 0;
    let recorded: unknown;
    return {
      async run(fn) {
        attempts++;
        try {
          return await context.with(active, fn);
        } catch (error) {
          if (span.isRecording()) recordError(span, error);
          recorded = error;
          throw error;
        }
      },
      end(outcome, error) {
        if (span.isRecording()) {
          span.setAttributes({ [ATTR.consumeOutcome]: outcome, [ATTR.consumeAttempts]: attempts });
          if (error !== undefined && (outcome === 'dead_lettered' || outcome === 'released')) {
            // A handler error was recorded by its attempt; others (validation, dead-letter publish) not yet.
            if (error !== recorded) recordError(span, error);
            setErrorStatus(span, error);
          }
        }
        span.end();
      },
    };
  },
};

function consumeAttributes(info: ConsumeSpanInfo): Attributes {
  const event = (typeof info.event === 'object' && info.event !== null ? info.event : {}) as Partial<
    ConsumeSpanInfo['event']
  >;
  const attributes: Attributes = {
    [ATTR.system]: info.broker,
    [ATTR.operationType]: 'process',
    [ATTR.operationName]: 'consume',
    [ATTR.destination]: info.topic,
    [ATTR.consumerGroup]: info.group,
    [ATTR.deliveryAttempt]: info.attempt,
  };
  if (typeof event.id === 'string') {
    attributes[ATTR.messageId] = event.id;
    attributes[ATTR.eventId] = event.id;
  }
  if (typeof event.source === 'string') attributes[ATTR.eventSource] = event.source;
  if (typeof event.type === 'string') attributes[ATTR.eventType] = event.type;
  if (typeof event.subject === 'string') attributes[ATTR.eventSubject] = event.subject;
  return attributes;
}
