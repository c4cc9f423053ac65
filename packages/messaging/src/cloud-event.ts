/**
 * The event envelope: CloudEvents 1.0, structured JSON mode, with Outrig's extensions
 * (DESIGN §5). Attribute names are lower-case as the spec requires for extensions.
 */
export interface CloudEvent<T = unknown> {
  readonly specversion: '1.0';
  /** UUIDv7: time-ordered, unique per event; the dedupe key everywhere (broker, inbox). */
  readonly id: string;
  /** `/services/<service-name>` */
  readonly source: string;
  /** `<aggregate>.<verb>`, e.g. `product.created`. */
  readonly type: string;
  /** The aggregate id; also the partition/ordering key. */
  readonly subject?: string;
  /** RFC 3339 timestamp of the state change. */
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: T;
  /** e.g. `product`; selects the default topic `product.events`. */
  readonly aggregatetype?: string;
  /** Version of the aggregate after this change: 1, 2, 3 … per aggregate. */
  readonly aggregateversion?: number;
  /** W3C trace context of the transaction that committed the event (distributed-tracing extension). */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** W3C baggage of that transaction. */
  readonly baggage?: string;
  readonly correlationid?: string;
  readonly causationid?: string;
}

/** The CloudEvents attributes that adapters with headers carry as `ce-<name>` (binary mode). */
export const CLOUD_EVENT_ATTRIBUTES = [
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'aggregatetype',
  'aggregateversion',
  'traceparent',
  'tracestate',
  'baggage',
  'correlationid',
  'causationid',
] as const;

/** Default topic for an aggregate type: `product` → `product.events`. */
export function defaultTopic(aggregateType: string): string {
  return `${aggregateType}.events`;
}
