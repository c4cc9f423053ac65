import type { Static, TSchema } from 'typebox';
import { v7 as uuidv7 } from 'uuid';
import type { CloudEvent } from '../cloud-event.ts';
import type { EventDefinition } from './event-definition.ts';
import { dataErrors, type EventFieldError, eventInvalid } from './validate-event.ts';

/** What {@link createEvent} takes besides the definition. */
export interface CreateEventInput<T> {
  /** The aggregate id: CloudEvents `subject`, and the partition/ordering key. */
  readonly subject: string;
  readonly data: T;
  /** `/services/<service-name>`. */
  readonly source: string;
  /** Id of the request/conversation this event belongs to. */
  readonly correlationId?: string;
  /** Id of the message (command or event) that caused this event. */
  readonly causationId?: string;
  /** Defaults to a new UUIDv7. Pass one only to make a write idempotent. */
  readonly id?: string;
  /** Defaults to now. */
  readonly time?: Date;
}

/**
 * Builds a CloudEvent from its definition, validating `data` first: an invalid event is never
 * built, so it can never be written. `aggregateversion` and the trace context are added by the
 * outbox when the event is written.
 *
 * @throws `EVENT_INVALID` (422) with `details.fields`.
 * @example
 * const event = createEvent(ProductCreated, {
 *   subject: product.id,
 *   data: { name: 'Lamp', priceCents: 1999 },
 *   source: '/services/catalog',
 * });
 */
export function createEvent<S extends TSchema>(
  definition: EventDefinition<S>,
  input: CreateEventInput<Static<S>>,
): CloudEvent<Static<S>> {
  const fields: EventFieldError[] = [];
  if (typeof input.subject !== 'string' || input.subject.length === 0) {
    fields.push({ path: 'subject', message: 'is required (the aggregate id)' });
  }
  if (typeof input.source !== 'string' || input.source.length === 0) {
    fields.push({ path: 'source', message: 'is required (/services/<name>)' });
  }
  fields.push(...dataErrors(definition, input.data));
  if (fields.length > 0) throw eventInvalid(definition.type, fields);
  return {
    specversion: '1.0',
    id: input.id ?? uuidv7(),
    source: input.source,
    type: definition.type,
    subject: input.subject,
    time: (input.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    data: input.data,
    aggregatetype: definition.aggregateType,
    ...(input.correlationId === undefined ? {} : { correlationid: input.correlationId }),
    ...(input.causationId === undefined ? {} : { causationid: input.causationId }),
  };
}
