import type { EventDefinition } from './event-definition.ts';

/** What a service says about its events: what it publishes (through the outbox) and consumes. */
export interface EventCatalog {
  /** Event types this service writes to its outbox. */
  readonly publishes?: readonly EventDefinition[];
  /**
   * What this service handles (through its inbox): event types, or whole topics for a consumer
   * that takes every event of a topic without depending on its producer's definitions.
   */
  readonly consumes?: readonly (EventDefinition | ConsumedTopic)[];
}

/** A topic consumed as a whole: every event on it. */
export interface ConsumedTopic {
  readonly topic: string;
  readonly description?: string;
}

/** A JSON object (an AsyncAPI 3.0 document). */
export type AsyncApiDocument = Record<string, unknown>;

/** The content type every event travels with (structured CloudEvents). */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json';

/**
 * An AsyncAPI 3.0 document for a service's events: one channel per topic (its address is the
 * topic), one message per event type (payload: the CloudEvents envelope whose `data` is the
 * event's TypeBox schema, as JSON Schema), and one operation per event type and direction —
 * `send` for what it publishes, `receive` for what it consumes. Served by `connectMessaging` at
 * `/asyncapi.json` when given `events`; the gateway merges them.
 *
 * @example
 * const doc = asyncApiDocument('inventory-service', { publishes: [ProductCreated] }, '2');
 */
export function asyncApiDocument(service: string, catalog: EventCatalog, version = '1'): AsyncApiDocument {
  const channels: Record<string, { address: string; messages: Record<string, unknown> }> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const add = (definition: EventDefinition, action: 'send' | 'receive') => {
    const channelKey = componentKey(definition.topic);
    const messageKey = componentKey(definition.type);
    messages[messageKey] = eventMessage(definition);
    channels[channelKey] ??= { address: definition.topic, messages: {} };
    channels[channelKey].messages[messageKey] = { $ref: `#/components/messages/${messageKey}` };
    operations[`${action}.${messageKey}`] = {
      action,
      channel: { $ref: `#/channels/${channelKey}` },
      messages: [{ $ref: `#/channels/${channelKey}/messages/${messageKey}` }],
      summary: `${action === 'send' ? 'Publishes' : 'Consumes'} ${definition.type}`,
    };
  };
  for (const d of catalog.publishes ?? []) add(d, 'send');
  for (const d of catalog.consumes ?? []) {
    if ('type' in d) {
      add(d, 'receive');
      continue;
    }
    const channelKey = componentKey(d.topic);
    channels[channelKey] ??= { address: d.topic, messages: {} };
    operations[`receive.${channelKey}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${channelKey}` },
      summary: d.description ?? `Consumes every event on ${d.topic}`,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: `${service} events`,
      version,
      description: `Events ${service} publishes through its transactional outbox and consumes through its inbox.`,
    },
    defaultContentType: CLOUDEVENTS_JSON,
    channels: sortKeys(channels),
    operations: sortKeys(operations),
    components: { messages: sortKeys(messages) },
  };
}

function eventMessage(definition: EventDefinition): Record<string, unknown> {
  return {
    name: definition.type,
    title: definition.type,
    ...(definition.description === undefined ? {} : { summary: definition.description }),
    contentType: CLOUDEVENTS_JSON,
    payload: {
      type: 'object',
      required: ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'data'],
      properties: {
        specversion: { type: 'string', const: '1.0' },
        id: { type: 'string', format: 'uuid', description: 'Unique per event: consumers deduplicate on it' },
        source: { type: 'string', description: 'The publishing service: /services/<name>' },
        type: { type: 'string', const: definition.type },
        subject: { type: 'string', description: `The ${definition.aggregateType}'s id (the partition key)` },
        time: { type: 'string', format: 'date-time' },
        datacontenttype: { type: 'string', const: 'application/json' },
        aggregatetype: { type: 'string', const: definition.aggregateType },
        aggregateversion: {
          type: 'integer',
          minimum: 1,
          description: `Position of the event in its ${definition.aggregateType}'s history (1, 2, 3 …)`,
        },
        traceparent: { type: 'string', description: 'W3C trace context of the write' },
        tracestate: { type: 'string' },
        baggage: { type: 'string' },
        correlationid: { type: 'string' },
        causationid: { type: 'string' },
        data: plainSchema(definition.schema),
      },
    },
  };
}

/** The schema as plain JSON (TypeBox's symbol keys and functions dropped). */
function plainSchema(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema));
}

/** AsyncAPI component keys match `^[a-zA-Z0-9.\-_]+$`. */
function componentKey(name: string): string {
  return name.replace(/[^a-zA-Z0-9.\-_]/g, '_');
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
