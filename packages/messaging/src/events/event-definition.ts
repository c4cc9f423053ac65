import type { Static, TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { defaultTopic } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';

/** What {@link defineEvent} takes. */
export interface EventDefinitionOptions<S extends TSchema> {
  /** CloudEvents `type`, `<aggregate>.<verb>` in the past tense: `product.created`. */
  readonly type: string;
  /** The aggregate the event belongs to: `product`. Selects the default topic. */
  readonly aggregateType: string;
  /** TypeBox schema of `data`. It is also the event's published JSON Schema (AsyncAPI). */
  readonly schema: S;
  /** Topic the relay publishes to. Default `<aggregateType>.events`. */
  readonly topic?: string;
  /** One line for generated docs. */
  readonly description?: string;
}

/**
 * A declared event type: its name, aggregate, topic and the schema its `data` must match.
 * Producers build events from it ({@link createEvent}); consumers check incoming events with it
 * ({@link validateEvent}).
 */
export interface EventDefinition<S extends TSchema = TSchema> {
  readonly type: string;
  readonly aggregateType: string;
  readonly topic: string;
  readonly schema: S;
  readonly description?: string;
  /** Type-only marker: the static type of `data` (`typeof def.$data`). Always undefined at run time. */
  readonly $data?: Static<S>;
}

/** The static type of an event definition's `data`. */
export type EventData<D> = D extends EventDefinition<infer S> ? Static<S> : never;

const TYPE_PATTERN = /^[A-Za-z0-9][\w-]*(\.[\w-]+)+$/;
const NAME_PATTERN = /^[A-Za-z][\w-]*$/;

// Compiled validators, kept off the definition object so it stays plain data.
const validators = new WeakMap<EventDefinition, Validator>();

/**
 * Declares an event type. The schema is compiled once, here, so a broken schema fails at start.
 *
 * @example
 * import { Type } from 'typebox';
 * export const ProductCreated = defineEvent({
 *   type: 'product.created',
 *   aggregateType: 'product',
 *   schema: Type.Object({ name: Type.String({ minLength: 1 }), priceCents: Type.Integer({ minimum: 0 }) }),
 * });
 */
export function defineEvent<const S extends TSchema>(options: EventDefinitionOptions<S>): EventDefinition<S> {
  const { type, aggregateType, schema } = options;
  const invalid = (reason: string) =>
    MessagingErrors.EVENT_DEFINITION_INVALID({ params: { type: String(type), reason } });
  if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) {
    throw invalid('type must look like `<aggregate>.<verb>` (letters, digits, -, _ and dots)');
  }
  if (typeof aggregateType !== 'string' || !NAME_PATTERN.test(aggregateType)) {
    throw invalid('aggregateType must be a name: a letter, then letters, digits, - or _');
  }
  if (options.topic !== undefined && (typeof options.topic !== 'string' || options.topic.length === 0)) {
    throw invalid('topic must be a non-empty string');
  }
  if (schema === null || typeof schema !== 'object') throw invalid('schema must be a TypeBox schema');
  let validator: Validator;
  try {
    validator = Compile(schema) as unknown as Validator;
  } catch (cause) {
    throw MessagingErrors.EVENT_DEFINITION_INVALID({
      params: { type, reason: `schema does not compile: ${(cause as Error).message}` },
      cause,
    });
  }
  const definition: EventDefinition<S> = {
    type,
    aggregateType,
    topic: options.topic ?? defaultTopic(aggregateType),
    schema,
    ...(options.description === undefined ? {} : { description: options.description }),
  };
  validators.set(definition, validator);
  return Object.freeze(definition);
}

/** The compiled validator of a definition made by {@link defineEvent}. */
export function validatorOf(definition: EventDefinition): Validator {
  const validator = validators.get(definition);
  if (validator) return validator;
  // A definition built by hand (or deserialised): compile it once, lazily.
  const compiled = Compile(definition.schema) as unknown as Validator;
  validators.set(definition, compiled);
  return compiled;
}
