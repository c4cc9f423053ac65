import type { ReceivedSpan } from '@outrig/testing/otlp';

/** One trace in the list: what its root span says, and who took part. */
export interface TraceSummary {
  readonly traceId: string;
  /** The root span's name (`POST /api/v2/products`), else the earliest span's. */
  readonly name: string;
  readonly rootService: string;
  readonly services: string[];
  /** Epoch ms of the earliest span. */
  readonly start: number;
  readonly durationMs: number;
  readonly spans: number;
  /** A span with status error, or an HTTP status of 500 and above. */
  readonly error: boolean;
  /** The root server span's HTTP status, when it has one. */
  readonly status?: number;
}

/** A span placed in its trace's waterfall. */
export interface WaterfallSpan {
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: string;
  readonly service: string;
  /** ms from the trace's start. */
  readonly offsetMs: number;
  readonly durationMs: number;
  /** 0 for a root; a span whose parent was not received is a root too. */
  readonly depth: number;
  readonly error: boolean;
  readonly statusMessage?: string;
  readonly attributes: Record<string, unknown>;
  readonly events: readonly { name: string; attributes: Record<string, unknown> }[];
  /** Spans of other traces this one links to (a batch consume, say). */
  readonly links: readonly { traceId: string; spanId: string }[];
}

export interface TraceFilter {
  service?: string;
  /** A substring of the trace's name (case-insensitive): a route, a topic. */
  name?: string;
  status?: 'ok' | 'error';
  minDurationMs?: number;
  limit?: number;
}

const ms = (nanos: string) => Number(BigInt(nanos) / 1000n) / 1000;

/** The spans `outrig dev`'s receiver got, grouped by trace; keeps the latest `capacity` traces. */
export class TraceStore {
  readonly #traces = new Map<string, ReceivedSpan[]>();
  readonly #capacity: number;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  /** Adds spans; returns the ids of the traces they belong to. */
  add(spans: readonly ReceivedSpan[]): string[] {
    const touched = new Set<string>();
    for (const span of spans) {
      let list = this.#traces.get(span.traceId);
      if (list === undefined) {
        list = [];
        this.#traces.set(span.traceId, list);
      } else {
        // Keep insertion order = recency: a trace that grows moves to the end.
        this.#traces.delete(span.traceId);
        this.#traces.set(span.traceId, list);
      }
      list.push(span);
      touched.add(span.traceId);
    }
    while (this.#traces.size > this.#capacity)
      this.#traces.delete(this.#traces.keys().next().value as string);
    return [...touched];
  }

  summary(traceId: string): TraceSummary | undefined {
    const spans = this.#traces.get(traceId);
    return spans === undefined ? undefined : summarise(traceId, spans);
  }

  /** The latest traces first. */
  list(filter: TraceFilter = {}): TraceSummary[] {
    const name = filter.name?.toLowerCase();
    const out: TraceSummary[] = [];
    for (const [id, spans] of this.#traces) {
      const s = summarise(id, spans);
      if (filter.service !== undefined && !s.services.includes(filter.service)) continue;
      if (name !== undefined && !s.name.toLowerCase().includes(name)) continue;
      if (filter.status === 'error' && !s.error) continue;
      if (filter.status === 'ok' && s.error) continue;
      if (filter.minDurationMs !== undefined && s.durationMs < filter.minDurationMs) continue;
      out.push(s);
    }
    out.sort((a, b) => b.start - a.start);
    return out.slice(0, filter.limit ?? 100);
  }

  /**
   * Who called whom, from the spans received: a span whose parent ran in another service is a
   * call (`http`) or, for a consumer span, an event delivery (`event`, with its topic).
   */
  edges(): { from: string; to: string; kind: 'http' | 'event'; topic?: string; count: number }[] {
    const found = new Map<
      string,
      { from: string; to: string; kind: 'http' | 'event'; topic?: string; count: number }
    >();
    for (const spans of this.#traces.values()) {
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      for (const s of spans) {
        const parent = s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId);
        if (parent === undefined || parent.serviceName === s.serviceName) continue;
        const kind = s.kind === 'consumer' ? 'event' : 'http';
        const topic = kind === 'event' ? String(s.attributes['messaging.destination.name'] ?? '') : undefined;
        const from = parent.serviceName ?? '?';
        const to = s.serviceName ?? '?';
        const key = `${from}>${to}>${kind}>${topic ?? ''}`;
        const edge = found.get(key) ?? { from, to, kind, ...(topic ? { topic } : {}), count: 0 };
        edge.count++;
        found.set(key, edge);
      }
    }
    return [...found.values()];
  }

  /** Every span of a trace in waterfall order (depth first, siblings by start). */
  waterfall(traceId: string): WaterfallSpan[] | undefined {
    const spans = this.#traces.get(traceId);
    if (spans === undefined) return undefined;
    const start = Math.min(...spans.map((s) => ms(s.startTimeUnixNano)));
    const ids = new Set(spans.map((s) => s.spanId));
    const children = new Map<string | undefined, ReceivedSpan[]>();
    for (const s of spans) {
      const parent = s.parentSpanId !== undefined && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
      children.set(parent, [...(children.get(parent) ?? []), s]);
    }
    const out: WaterfallSpan[] = [];
    const visit = (parent: string | undefined, depth: number) => {
      const list = (children.get(parent) ?? []).sort((a, b) =>
        BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1,
      );
      for (const s of list) {
        out.push(place(s, start, depth));
        visit(s.spanId, depth + 1);
      }
    };
    visit(undefined, 0);
    return out;
  }
}

function place(s: ReceivedSpan, start: number, depth: number): WaterfallSpan {
  return {
    spanId: s.spanId,
    ...(s.parentSpanId === undefined ? {} : { parentSpanId: s.parentSpanId }),
    name: s.name,
    kind: s.kind,
    service: s.serviceName ?? '?',
    offsetMs: round(ms(s.startTimeUnixNano) - start),
    durationMs: round(ms(s.endTimeUnixNano) - ms(s.startTimeUnixNano)),
    depth,
    error: isError(s),
    ...(s.status.message ? { statusMessage: s.status.message } : {}),
    attributes: s.attributes,
    events: s.events,
    links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
  };
}

function summarise(traceId: string, spans: readonly ReceivedSpan[]): TraceSummary {
  const ids = new Set(spans.map((s) => s.spanId));
  const byStart = [...spans].sort((a, b) =>
    BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1,
  );
  const root = byStart.find((s) => s.parentSpanId === undefined || !ids.has(s.parentSpanId)) ?? byStart[0]!;
  const start = ms(byStart[0]!.startTimeUnixNano);
  const end = Math.max(...spans.map((s) => ms(s.endTimeUnixNano)));
  const status = httpStatus(root);
  return {
    traceId,
    name: root.name,
    rootService: root.serviceName ?? '?',
    services: [...new Set(spans.map((s) => s.serviceName ?? '?'))].sort(),
    start,
    durationMs: round(end - start),
    spans: spans.length,
    error: spans.some(isError),
    ...(status === undefined ? {} : { status }),
  };
}

function httpStatus(s: ReceivedSpan): number | undefined {
  const v = s.attributes['http.response.status_code'] ?? s.attributes['http.status_code'];
  return typeof v === 'number' ? v : undefined;
}

function isError(s: ReceivedSpan): boolean {
  const status = httpStatus(s);
  return s.status.code === 'error' || (s.kind === 'server' && status !== undefined && status >= 500);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
