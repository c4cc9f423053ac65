import type { CloudEvent } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';
import type { EventDefinition } from './event-definition.ts';
import { validateEvent } from './validate-event.ts';

/**
 * The event types a service knows, by `type`. Consumers use it to validate what arrives;
 * docs generators use it to list the schemas (AsyncAPI).
 */
export interface EventRegistry {
  /** The definition for a type, or undefined. */
  get(type: string): EventDefinition | undefined;
  has(type: string): boolean;
  /** All definitions, in registration order. */
  list(): readonly EventDefinition[];
  /**
   * Validates an event against its registered definition.
   * @throws `EVENT_TYPE_UNKNOWN` for an unregistered type, `EVENT_INVALID` for a mismatch.
   */
  validate(event: CloudEvent): CloudEvent;
}

/**
 * Builds a registry from definitions. A type registered twice is a mistake and fails at start.
 *
 * @example
 * const events = createEventRegistry([ProductCreated, ProductUpdated]);
 * const event = events.validate(delivery.event);
 */
export function createEventRegistry(definitions: Iterable<EventDefinition>): EventRegistry {
  const byType = new Map<string, EventDefinition>();
  for (const definition of definitions) {
    if (byType.has(definition.type)) {
      throw MessagingErrors.EVENT_TYPE_DUPLICATE({ params: { type: definition.type } });
    }
    byType.set(definition.type, definition);
  }
  const list = Object.freeze([...byType.values()]);
  return {
    get: (type) => byType.get(type),
    has: (type) => byType.has(type),
    list: () => list,
    validate(event) {
      const definition = event === null || typeof event !== 'object' ? undefined : byType.get(event.type);
      if (!definition) {
        throw MessagingErrors.EVENT_TYPE_UNKNOWN({ params: { type: String(event?.type) } });
      }
      return validateEvent(definition, event);
    },
  };
}
