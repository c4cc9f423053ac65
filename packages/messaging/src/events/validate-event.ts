import type { Static, TSchema } from 'typebox';
import type { CloudEvent } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';
import { type EventDefinition, validatorOf } from './event-definition.ts';

/** One invalid field in an `EVENT_INVALID` error's `details.fields`. */
export interface EventFieldError {
  /** Where: `data/price`, `subject`, `type`. */
  readonly path: string;
  readonly message: string;
}

/**
 * Checks an incoming event against its definition: the envelope (specversion, id, type, source,
 * subject) and `data` against the schema. Returns the event typed by the definition.
 *
 * @throws `EVENT_INVALID` (422) with `details.fields` listing every problem.
 * @example
 * const event = validateEvent(ProductCreated, delivery.event);
 * event.data.name; // typed
 */
export function validateEvent<S extends TSchema>(
  definition: EventDefinition<S>,
  event: CloudEvent,
): CloudEvent<Static<S>> {
  const fields = envelopeErrors(event, definition);
  if (event !== null && typeof event === 'object') fields.push(...dataErrors(definition, event.data));
  if (fields.length > 0) throw eventInvalid(definition.type, fields);
  return event as CloudEvent<Static<S>>;
}

/** Field errors of `data` against the definition's schema (empty when valid). */
export function dataErrors(definition: EventDefinition, data: unknown): EventFieldError[] {
  const validator = validatorOf(definition);
  if (validator.Check(data)) return [];
  const fields: EventFieldError[] = [];
  for (const error of validator.Errors(data)) {
    const base = `data${error.instancePath}`;
    const params = error.params as { requiredProperties?: unknown };
    if (error.keyword === 'required' && Array.isArray(params.requiredProperties)) {
      for (const name of params.requiredProperties)
        fields.push({ path: `${base}/${name}`, message: 'is required' });
    } else {
      fields.push({ path: base, message: error.message });
    }
  }
  return fields;
}

/** The coded error for a schema mismatch. */
export function eventInvalid(type: string, fields: readonly EventFieldError[]) {
  return MessagingErrors.EVENT_INVALID({ params: { type }, details: { type, fields } });
}

function envelopeErrors(event: CloudEvent, definition: EventDefinition): EventFieldError[] {
  if (event === null || typeof event !== 'object') return [{ path: '', message: 'must be an object' }];
  const fields: EventFieldError[] = [];
  if (event.specversion !== '1.0') fields.push({ path: 'specversion', message: 'must be 1.0' });
  if (typeof event.id !== 'string' || event.id.length === 0)
    fields.push({ path: 'id', message: 'is required' });
  if (typeof event.source !== 'string' || event.source.length === 0) {
    fields.push({ path: 'source', message: 'is required' });
  }
  if (event.type !== definition.type) fields.push({ path: 'type', message: `must be ${definition.type}` });
  if (typeof event.subject !== 'string' || event.subject.length === 0) {
    fields.push({ path: 'subject', message: 'is required (the aggregate id)' });
  }
  if (event.aggregatetype !== undefined && event.aggregatetype !== definition.aggregateType) {
    fields.push({ path: 'aggregatetype', message: `must be ${definition.aggregateType}` });
  }
  return fields;
}
