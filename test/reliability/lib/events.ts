import { createEventRegistry, defineEvent } from '@outrig/messaging';
import { Type } from 'typebox';

/** The one event type of the suite: aggregate `rel`, topic `rel.events`. */
export const Changed = defineEvent({
  type: 'rel.changed',
  aggregateType: 'rel',
  schema: Type.Object({ n: Type.Integer() }),
  description: 'A change of a reliability-suite aggregate.',
});

export const TOPIC = Changed.topic;
export const DEAD_LETTER_TOPIC = `${TOPIC}.dlq`;
export const SOURCE = '/services/reliability';

/** What consumers validate against when a scenario asks for validation. */
export const registry = createEventRegistry([Changed]);
