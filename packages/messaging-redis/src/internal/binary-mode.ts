import type { CloudEvent, TraceCarrier } from '@outrig/messaging';
import { RedisBusErrors } from '../errors.ts';

/**
 * CloudEvents binary mode on a stream entry's fields: every attribute but `data` as a
 * `ce-<name>` field, `datacontenttype` as `content-type`, the ordering key as the partitioning
 * extension `ce-partitionkey`, the hop's W3C trace headers as `traceparent`/`tracestate`/
 * `baggage`, and the data as JSON in the `data` field (absent when the event has none). Field
 * values are binary-safe strings, so nothing is escaped.
 */
const PREFIX = 'ce-';
const CONTENT_TYPE = 'content-type';
const DATA = 'data';
export const PARTITION_KEY_FIELD = `${PREFIX}partitionkey`;
const INTEGER_ATTRIBUTES = new Set(['aggregateversion']);
const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'] as const;

/** The entry's fields, flat (`[field, value, …]`); throws `REDIS_BUS_EVENT_INVALID` if it cannot be encoded. */
export function encodeEvent(event: CloudEvent, key: string, traceContext?: TraceCarrier): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || value === undefined || value === null) continue;
    if (!/^[a-z0-9]{1,20}$/.test(name)) throw invalid(event, `attribute name "${name}" is not a-z0-9`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw invalid(event, `attribute "${name}" is not a string, number or boolean`);
    }
    fields.push(name === 'datacontenttype' ? CONTENT_TYPE : PREFIX + name, String(value));
  }
  fields.push(PARTITION_KEY_FIELD, key);
  for (const name of TRACE_HEADERS) {
    const value = traceContext?.[name];
    if (typeof value === 'string' && value !== '') fields.push(name, value);
  }
  if (event.data !== undefined) {
    try {
      fields.push(DATA, JSON.stringify(event.data));
    } catch (cause) {
      throw invalid(event, `data is not JSON-serializable (${(cause as Error).message})`);
    }
  }
  return fields;
}

/** The event, key and hop trace context of an entry; throws a plain Error if malformed. */
export function decodeEvent(fields: readonly string[]): {
  event: CloudEvent;
  key: string;
  traceContext?: TraceCarrier;
} {
  const attributes: Record<string, unknown> = {};
  let traceContext: TraceCarrier | undefined;
  let data: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (name === DATA) data = value;
    else if (name === CONTENT_TYPE) attributes.datacontenttype = value;
    else if ((TRACE_HEADERS as readonly string[]).includes(name)) {
      traceContext ??= {};
      traceContext[name as (typeof TRACE_HEADERS)[number]] = value;
    } else if (name.startsWith(PREFIX)) {
      const attribute = name.slice(PREFIX.length);
      attributes[attribute] =
        INTEGER_ATTRIBUTES.has(attribute) && /^-?\d+$/.test(value) ? Number(value) : value;
    }
  }
  for (const required of ['specversion', 'id', 'source', 'type']) {
    if (typeof attributes[required] !== 'string') throw new Error(`missing ${PREFIX}${required}`);
  }
  const key =
    typeof attributes.partitionkey === 'string' ? attributes.partitionkey : String(attributes.subject ?? '');
  delete attributes.partitionkey;
  if (data !== undefined) attributes.data = JSON.parse(data);
  const event = attributes as unknown as CloudEvent;
  return traceContext?.traceparent === undefined ? { event, key } : { event, key, traceContext };
}

function invalid(event: CloudEvent, reason: string) {
  return RedisBusErrors.REDIS_BUS_EVENT_INVALID({ params: { id: String(event.id), reason } });
}
