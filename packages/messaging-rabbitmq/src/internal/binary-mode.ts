import type { CloudEvent, TraceCarrier } from '@outrig/messaging';
import { RabbitMqErrors } from '../errors.ts';

/**
 * CloudEvents binary mode on AMQP 0-9-1, after the AMQP binding: every attribute but `data` and
 * `datacontenttype` travels as a `cloudEvents:<name>` header, `datacontenttype` as the message's
 * content-type property, the ordering key as the partitioning extension
 * `cloudEvents:partitionkey`, and the data as the JSON body. AMQP header values are UTF-8
 * strings of any content, so nothing is escaped.
 */
const PREFIX = 'cloudEvents:';
export const PARTITION_KEY_HEADER = `${PREFIX}partitionkey`;

/** Attributes whose CloudEvents type is Integer; they travel as decimal strings. */
const INTEGER_ATTRIBUTES = new Set(['aggregateversion']);

/** W3C trace headers of the hop, beside the attributes (as OpenTelemetry's propagators use them). */
const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'] as const;

/** What one event becomes on the wire. */
export interface EncodedEvent {
  readonly headers: Record<string, string>;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** Headers, content type and body of one event; throws `RABBITMQ_EVENT_INVALID` if it cannot be encoded. */
export function encodeEvent(event: CloudEvent, key: string, traceContext?: TraceCarrier): EncodedEvent {
  const headers: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || value === undefined || value === null) continue;
    if (!/^[a-z0-9]{1,20}$/.test(name)) throw invalid(event, `attribute name "${name}" is not a-z0-9`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw invalid(event, `attribute "${name}" is not a string, number or boolean`);
    }
    if (name === 'datacontenttype') contentType = String(value);
    else headers[PREFIX + name] = String(value);
  }
  headers[PARTITION_KEY_HEADER] = key;
  for (const name of TRACE_HEADERS) {
    const value = traceContext?.[name];
    if (typeof value === 'string' && value !== '') headers[name] = value;
  }
  let body: string | undefined;
  try {
    body = event.data === undefined ? undefined : JSON.stringify(event.data);
  } catch (cause) {
    throw invalid(event, `data is not JSON-serializable (${(cause as Error).message})`);
  }
  return { headers, contentType, body: body === undefined ? Buffer.alloc(0) : Buffer.from(body) };
}

/** The event, key and hop trace context of a received message; throws a plain Error if malformed. */
export function decodeEvent(
  headers: Record<string, unknown> | undefined,
  contentType: string | undefined,
  body: Buffer,
): { event: CloudEvent; key: string; traceContext?: TraceCarrier } {
  if (!headers) throw new Error('no headers');
  const attributes: Record<string, unknown> = {};
  let traceContext: TraceCarrier | undefined;
  for (const [header, raw] of Object.entries(headers)) {
    const value = Buffer.isBuffer(raw) ? raw.toString() : String(raw);
    if ((TRACE_HEADERS as readonly string[]).includes(header)) {
      traceContext ??= {};
      traceContext[header as (typeof TRACE_HEADERS)[number]] = value;
    } else if (header.startsWith(PREFIX)) {
      const name = header.slice(PREFIX.length);
      attributes[name] = INTEGER_ATTRIBUTES.has(name) && /^-?\d+$/.test(value) ? Number(value) : value;
    }
  }
  for (const required of ['specversion', 'id', 'source', 'type']) {
    if (typeof attributes[required] !== 'string') throw new Error(`missing ${PREFIX}${required}`);
  }
  if (contentType !== undefined) attributes.datacontenttype = contentType;
  const key =
    typeof attributes.partitionkey === 'string' ? attributes.partitionkey : String(attributes.subject ?? '');
  delete attributes.partitionkey;
  if (body.length > 0) attributes.data = JSON.parse(body.toString());
  const event = attributes as unknown as CloudEvent;
  return traceContext?.traceparent === undefined ? { event, key } : { event, key, traceContext };
}

function invalid(event: CloudEvent, reason: string) {
  return RabbitMqErrors.RABBITMQ_EVENT_INVALID({ params: { id: String(event.id), reason } });
}
