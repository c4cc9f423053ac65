import { type Attributes, context, SpanKind, trace } from '@opentelemetry/api';
import type { CloudEvent } from '../cloud-event.ts';
import {
  MESSAGING_SPAN_ATTRIBUTES as ATTR,
  failSpan,
  MESSAGING_SPAN_NAMES,
  messagingTracer,
} from './messaging-tracer.ts';

/** One event about to be written, with its resolved topic. */
export interface WriteSpanEntry {
  readonly event: CloudEvent;
  readonly topic: string;
}

/**
 * Runs `write` inside an `outbox.write` span (INTERNAL, child of the active context: the request
 * span). The span is active inside `write`, so the trace context stored on the rows is this
 * span's and the database query is its child. Without an SDK the span is a no-op.
 */
export async function inOutboxWriteSpan<T>(
  entries: readonly WriteSpanEntry[],
  write: () => Promise<T>,
): Promise<T> {
  const parent = context.active();
  const span = messagingTracer().startSpan(
    MESSAGING_SPAN_NAMES.outboxWrite,
    { kind: SpanKind.INTERNAL },
    parent,
  );
  if (span.isRecording()) span.setAttributes(writeAttributes(entries));
  try {
    return await context.with(trace.setSpan(parent, span), write);
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Per-event attributes for a single event; for a batch, those all its events share. */
function writeAttributes(entries: readonly WriteSpanEntry[]): Attributes {
  const attributes: Attributes = {
    [ATTR.system]: 'outrig.outbox',
    [ATTR.operationType]: 'create',
    [ATTR.operationName]: 'write',
    [ATTR.batchCount]: entries.length,
  };
  const first = entries[0];
  if (first === undefined) return attributes;
  const same = (pick: (e: WriteSpanEntry) => string | undefined) => {
    const value = pick(first);
    return entries.every((e) => pick(e) === value) ? value : undefined;
  };
  const shared: Attributes = {
    [ATTR.destination]: same((e) => e.topic),
    [ATTR.eventType]: same((e) => e.event.type),
    [ATTR.eventSource]: same((e) => e.event.source),
    [ATTR.eventSubject]: same((e) => e.event.subject),
  };
  if (entries.length === 1) {
    shared[ATTR.messageId] = first.event.id;
    shared[ATTR.eventId] = first.event.id;
  }
  for (const [key, value] of Object.entries(shared)) if (value !== undefined) attributes[key] = value;
  return attributes;
}
