/** An attribute value as OTLP carries it (int64 values arrive as numbers when safe). */
export type ReceivedAttributeValue =
  | string
  | number
  | boolean
  | ReceivedAttributeValue[]
  | { [key: string]: ReceivedAttributeValue };

export type ReceivedAttributes = Record<string, ReceivedAttributeValue>;

/** OTLP span kinds, by name. */
export type ReceivedSpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

const KINDS: ReceivedSpanKind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS = ['unset', 'ok', 'error'] as const;

/** A span as an OTLP receiver got it: ids in lowercase hex, kind and status by name. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** `undefined` for a root span. */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: ReceivedSpanKind;
  /** `service.name` of the span's resource. */
  readonly serviceName: string | undefined;
  readonly attributes: ReceivedAttributes;
  readonly links: readonly { traceId: string; spanId: string; attributes: ReceivedAttributes }[];
  readonly events: readonly { name: string; attributes: ReceivedAttributes }[];
  readonly status: { code: (typeof STATUS)[number]; message?: string };
  /** Instrumentation scope (`@opentelemetry/instrumentation-pg`, `@outrig/messaging`, …). */
  readonly scope: string | undefined;
  readonly resource: ReceivedAttributes;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  /** How the span arrived. */
  readonly encoding: 'protobuf' | 'json';
}

// The plain shape both encodings decode to (OTLP/JSON field names).
type Plain = Record<string, unknown>;
type PlainKeyValue = { key?: string; value?: Plain };

/** Flattens an `ExportTraceServiceRequest` (decoded protobuf or parsed OTLP/JSON) into spans. */
export function spansFromOtlp(request: unknown, encoding: 'protobuf' | 'json'): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of list((request as Plain)?.resourceSpans)) {
    const resource = attributesOf((rs.resource as Plain | undefined)?.attributes);
    const serviceName = typeof resource['service.name'] === 'string' ? resource['service.name'] : undefined;
    for (const ss of list(rs.scopeSpans)) {
      const scope = (ss.scope as Plain | undefined)?.name as string | undefined;
      for (const s of list(ss.spans)) {
        const parent = hex(s.parentSpanId);
        const status = (s.status as Plain | undefined) ?? {};
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: parent === '' ? undefined : parent,
          name: String(s.name ?? ''),
          kind: KINDS[Number(s.kind ?? 0)] ?? 'unspecified',
          serviceName,
          attributes: attributesOf(s.attributes),
          links: list(s.links).map((l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
            attributes: attributesOf(l.attributes),
          })),
          events: list(s.events).map((e) => ({
            name: String(e.name ?? ''),
            attributes: attributesOf(e.attributes),
          })),
          status: {
            code: STATUS[Number(status.code ?? 0)] ?? 'unset',
            ...(status.message ? { message: String(status.message) } : {}),
          },
          scope: scope || undefined,
          resource,
          startTimeUnixNano: String(s.startTimeUnixNano ?? '0'),
          endTimeUnixNano: String(s.endTimeUnixNano ?? '0'),
          encoding,
        });
      }
    }
  }
  return out;
}

function list(value: unknown): Plain[] {
  return Array.isArray(value) ? (value as Plain[]) : [];
}

/** Protobuf gives bytes; OTLP/JSON gives hex strings already. */
function hex(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return typeof value === 'string' ? value.toLowerCase() : '';
}

function attributesOf(kvs: unknown): ReceivedAttributes {
  const out: ReceivedAttributes = {};
  for (const kv of list(kvs) as PlainKeyValue[]) {
    if (kv.key !== undefined) out[kv.key] = anyValue(kv.value);
  }
  return out;
}

function anyValue(v: Plain | undefined): ReceivedAttributeValue {
  if (!v) return '';
  if (v.stringValue !== undefined) return String(v.stringValue);
  if (v.boolValue !== undefined) return Boolean(v.boolValue);
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : String(v.intValue);
  }
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.arrayValue !== undefined) return list((v.arrayValue as Plain).values).map(anyValue);
  if (v.kvlistValue !== undefined) return attributesOf((v.kvlistValue as Plain).values);
  // Bytes as base64, the OTLP/JSON form.
  if (v.bytesValue instanceof Uint8Array) return Buffer.from(v.bytesValue).toString('base64');
  if (v.bytesValue !== undefined) return String(v.bytesValue);
  return '';
}
