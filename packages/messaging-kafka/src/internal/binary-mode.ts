import type { CloudEvent, TraceCarrier } from '@outrig/messaging';
import { KafkaErrors } from '../errors.ts';

/**
 * CloudEvents binary mode on Kafka, as the CloudEvents Kafka protocol binding defines it: every
 * attribute but `data` travels as a `ce_<name>` header (UTF-8), `datacontenttype` as
 * `content-type`, the ordering key as the Kafka message key (the binding's mapping of the
 * `partitionkey` extension) and `data` as the value (`JSON.stringify`). The hop's W3C trace
 * context travels beside them as plain `traceparent`/`tracestate`/`baggage` headers.
 */
const PREFIX = 'ce_';
const CONTENT_TYPE = 'content-type';
const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'] as const;
/** Attributes whose CloudEvents type is Integer; headers carry them as decimal strings. */
const INTEGER_ATTRIBUTES = new Set(['aggregateversion']);

/** One record ready for the producer. */
export interface EncodedRecord {
  readonly key: Buffer;
  readonly value: Buffer | undefined;
  readonly headers: Map<Buffer, Buffer>;
}

/** The record of one event; throws `KAFKA_EVENT_INVALID` if it cannot be encoded. */
export function encodeEvent(event: CloudEvent, key: string, traceContext?: TraceCarrier): EncodedRecord {
  const headers = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || value === undefined || value === null) continue;
    if (!/^[a-z0-9]{1,20}$/.test(name)) throw invalid(event, `attribute name "${name}" is not a-z0-9`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw invalid(event, `attribute "${name}" is not a string, number or boolean`);
    }
    const header = name === 'datacontenttype' ? CONTENT_TYPE : PREFIX + name;
    headers.set(Buffer.from(header), Buffer.from(String(value)));
  }
  if (traceContext !== undefined) {
    for (const name of TRACE_HEADERS) {
      const value = traceContext[name];
      if (typeof value === 'string' && value !== '') headers.set(Buffer.from(name), Buffer.from(value));
    }
  }
  let body: string | undefined;
  try {
    body = event.data === undefined ? undefined : JSON.stringify(event.data);
  } catch (cause) {
    throw invalid(event, `data is not JSON-serializable (${(cause as Error).message})`);
  }
  return { key: Buffer.from(key), value: body === undefined ? undefined : Buffer.from(body), headers };
}

/** The event, key and hop trace context of a record; throws a plain Error with the reason if malformed. */
export function decodeEvent(
  key: Buffer | undefined | null,
  value: Buffer | undefined | null,
  headers: Map<Buffer, Buffer> | undefined,
): { event: CloudEvent; key: string; traceContext?: TraceCarrier } {
  if (!headers || headers.size === 0) throw new Error('no headers');
  const attributes: Record<string, unknown> = {};
  let traceContext: TraceCarrier | undefined;
  for (const [rawName, rawValue] of headers) {
    const name = rawName.toString('utf8').toLowerCase();
    const text = rawValue === undefined || rawValue === null ? '' : rawValue.toString('utf8');
    if ((TRACE_HEADERS as readonly string[]).includes(name)) {
      traceContext ??= {};
      traceContext[name as (typeof TRACE_HEADERS)[number]] = text;
    } else if (name === CONTENT_TYPE) attributes.datacontenttype = text;
    else if (name.startsWith(PREFIX)) {
      const attribute = name.slice(PREFIX.length);
      attributes[attribute] = INTEGER_ATTRIBUTES.has(attribute) && /^-?\d+$/.test(text) ? Number(text) : text;
    }
  }
  for (const required of ['specversion', 'id', 'source', 'type']) {
    if (typeof attributes[required] !== 'string') throw new Error(`missing ce_${required}`);
  }
  if (value && value.length > 0) attributes.data = JSON.parse(value.toString('utf8'));
  const event = attributes as unknown as CloudEvent;
  const partitionKey = key && key.length > 0 ? key.toString('utf8') : String(event.subject ?? '');
  return traceContext?.traceparent === undefined
    ? { event, key: partitionKey }
    : { event, key: partitionKey, traceContext };
}

function invalid(event: CloudEvent, reason: string) {
  return KafkaErrors.KAFKA_EVENT_INVALID({ params: { id: String(event.id), reason } });
}
