import type { ReceivedSpan } from '@outrig/testing/otlp';
import { describe, expect, it } from 'vitest';
import { TraceStore } from './trace-store.ts';

const span = (o: Partial<ReceivedSpan> & { spanId: string; start: number; end: number }): ReceivedSpan => ({
  traceId: 't1',
  parentSpanId: undefined,
  name: o.spanId,
  kind: 'internal',
  serviceName: 'svc',
  attributes: {},
  links: [],
  events: [],
  status: { code: 'unset' },
  scope: undefined,
  resource: {},
  encoding: 'json',
  ...o,
  startTimeUnixNano: String(BigInt(o.start) * 1_000_000n),
  endTimeUnixNano: String(BigInt(o.end) * 1_000_000n),
});

describe('TraceStore', () => {
  const store = new TraceStore();
  store.add([
    span({
      spanId: 'root',
      name: 'POST /api/v2/products',
      kind: 'server',
      serviceName: 'gateway',
      start: 1000,
      end: 1100,
      attributes: { 'http.response.status_code': 201 },
    }),
    span({
      spanId: 'publish',
      parentSpanId: 'write',
      name: 'relay.publish',
      kind: 'producer',
      serviceName: 'inventory',
      start: 1050,
      end: 1060,
    }),
    span({
      spanId: 'write',
      parentSpanId: 'root',
      name: 'outbox.write',
      serviceName: 'inventory',
      start: 1010,
      end: 1020,
    }),
    span({
      spanId: 'consume',
      parentSpanId: 'publish',
      name: 'consume',
      kind: 'consumer',
      serviceName: 'notification',
      start: 1070,
      end: 1150,
      attributes: { 'messaging.destination.name': 'product.events' },
    }),
  ]);
  store.add([
    span({
      traceId: 't2',
      spanId: 'x',
      name: 'GET /boom',
      kind: 'server',
      start: 2000,
      end: 2001,
      status: { code: 'error' },
    }),
  ]);

  it('summarises a trace by its root span, across services', () => {
    expect(store.summary('t1')).toMatchObject({
      name: 'POST /api/v2/products',
      rootService: 'gateway',
      services: ['gateway', 'inventory', 'notification'],
      durationMs: 150,
      spans: 4,
      error: false,
      status: 201,
    });
  });

  it('lists the latest first, filtered', () => {
    expect(store.list().map((t) => t.traceId)).toEqual(['t2', 't1']);
    expect(store.list({ status: 'error' }).map((t) => t.traceId)).toEqual(['t2']);
    expect(store.list({ service: 'notification' }).map((t) => t.traceId)).toEqual(['t1']);
    expect(store.list({ name: 'products', minDurationMs: 100 }).map((t) => t.traceId)).toEqual(['t1']);
  });

  it('places spans in a waterfall, through the async hop', () => {
    expect(store.waterfall('t1')!.map((s) => [s.spanId, s.depth, s.offsetMs])).toEqual([
      ['root', 0, 0],
      ['write', 1, 10],
      ['publish', 2, 50],
      ['consume', 3, 70],
    ]);
    expect(store.waterfall('nope')).toBeUndefined();
  });

  it('derives who calls whom from cross-service parents', () => {
    expect(store.edges()).toEqual([
      { from: 'gateway', to: 'inventory', kind: 'http', count: 1 },
      { from: 'inventory', to: 'notification', kind: 'event', topic: 'product.events', count: 1 },
    ]);
  });

  it('forgets the oldest traces beyond its capacity', () => {
    const small = new TraceStore(1);
    small.add([span({ spanId: 'a', start: 1, end: 2 })]);
    small.add([span({ traceId: 't9', spanId: 'b', start: 1, end: 2 })]);
    expect(small.list().map((t) => t.traceId)).toEqual(['t9']);
  });
});
