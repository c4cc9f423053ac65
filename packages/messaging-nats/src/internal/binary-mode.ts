import { headers as createHeaders, Match, type MsgHdrs } from '@nats-io/transport-node';
import type { CloudEvent, TraceCarrier } from '@outrig/messaging';
import { NatsErrors } from '../errors.ts';

/**
 * CloudEvents binary mode on NATS headers: every attribute but `data` travels as a `ce-<name>`
 * header, `datacontenttype` as `content-type` (as the Kafka/HTTP bindings and the Go SDK's NATS
 * binding do), and the ordering key as the CloudEvents partitioning extension `ce-partitionkey`.
 * Values are percent-encoded by the HTTP binding's rule, because NATS header values cannot carry
 * CR/LF and the client trims surrounding spaces.
 */
export const PARTITION_KEY_HEADER = 'ce-partitionkey';
const CONTENT_TYPE = 'content-type';
const PREFIX = 'ce-';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Attributes whose CloudEvents type is Integer; binary mode carries them as decimal strings. */
const INTEGER_ATTRIBUTES = new Set(['aggregateversion']);

/**
 * W3C trace headers of the hop (`OutgoingMessage.traceContext`), beside the `ce-*` attributes:
 * plain `traceparent`/`tracestate`/`baggage`, as OpenTelemetry's propagators write and read them.
 */
const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'] as const;

/**
 * The headers and body of one event (plus the hop's trace headers, if any); throws
 * `NATS_EVENT_INVALID` if it cannot be encoded.
 */
export function encodeEvent(
  event: CloudEvent,
  key: string,
  traceContext?: TraceCarrier,
): { headers: MsgHdrs; payload: Uint8Array } {
  const headers = createHeaders();
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || value === undefined || value === null) continue;
    if (!/^[a-z0-9]{1,20}$/.test(name)) throw invalid(event, `attribute name "${name}" is not a-z0-9`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw invalid(event, `attribute "${name}" is not a string, number or boolean`);
    }
    headers.set(name === 'datacontenttype' ? CONTENT_TYPE : PREFIX + name, percentEncode(String(value)));
  }
  headers.set(PARTITION_KEY_HEADER, percentEncode(key));
  if (traceContext !== undefined) {
    for (const name of TRACE_HEADERS) {
      const value = traceContext[name];
      // W3C values are printable ASCII; one that is not (CR/LF) is dropped, never the message.
      if (typeof value === 'string' && /^[\x20-\x7e]+$/.test(value)) headers.set(name, value.trim());
    }
  }
  let body: string | undefined;
  try {
    body = event.data === undefined ? undefined : JSON.stringify(event.data);
  } catch (cause) {
    throw invalid(event, `data is not JSON-serializable (${(cause as Error).message})`);
  }
  return { headers, payload: body === undefined ? new Uint8Array(0) : encoder.encode(body) };
}

/**
 * The event, key and hop trace context of a received message; throws a plain Error with the
 * reason if malformed.
 */
export function decodeEvent(
  headers: MsgHdrs | undefined,
  payload: Uint8Array,
): { event: CloudEvent; key: string; traceContext?: TraceCarrier } {
  if (!headers) throw new Error('no headers');
  const attributes: Record<string, unknown> = {};
  let traceContext: TraceCarrier | undefined;
  for (const header of headers.keys()) {
    const lower = header.toLowerCase();
    if ((TRACE_HEADERS as readonly string[]).includes(lower)) {
      traceContext ??= {};
      traceContext[lower as (typeof TRACE_HEADERS)[number]] = headers.get(header);
      continue;
    }
    const value = percentDecode(headers.get(header));
    if (lower === CONTENT_TYPE) attributes.datacontenttype = value;
    else if (lower.startsWith(PREFIX)) {
      const name = lower.slice(PREFIX.length);
      attributes[name] = INTEGER_ATTRIBUTES.has(name) && /^-?\d+$/.test(value) ? Number(value) : value;
    }
  }
  for (const required of ['specversion', 'id', 'source', 'type']) {
    if (typeof attributes[required] !== 'string') throw new Error(`missing ce-${required}`);
  }
  const key = headers.has(PARTITION_KEY_HEADER, Match.IgnoreCase)
    ? String(attributes.partitionkey)
    : String(attributes.subject ?? '');
  delete attributes.partitionkey;
  if (payload.length > 0) attributes.data = JSON.parse(decoder.decode(payload));
  const event = attributes as unknown as CloudEvent;
  return traceContext?.traceparent === undefined ? { event, key } : { event, key, traceContext };
}

/** HTTP binding rule: space, `"`, `%` and anything outside printable ASCII become %XX of UTF-8. */
export function percentEncode(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (code > 0x20 && code < 0x7f && code !== 0x22 && code !== 0x25) out += ch;
    else for (const byte of encoder.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function percentDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    // Not produced by us (a stray `%`): keep the raw text rather than losing the message.
    return value;
  }
}

function invalid(event: CloudEvent, reason: string) {
  return NatsErrors.NATS_EVENT_INVALID({ params: { id: String(event.id), reason } });
}
