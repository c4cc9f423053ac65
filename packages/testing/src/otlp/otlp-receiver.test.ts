import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.ts';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => receiver.clear());

/** Emits a parent SERVER span, a PRODUCER child with attributes and an ERROR CONSUMER span linked to it. */
async function emit(exporter: SpanExporter): Promise<{ traceId: string; parent: string; child: string }> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'receiver-test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('receiver-test-scope');
  const parent = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER });
  const child = tracer.startSpan(
    'relay.publish',
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.destination.name': 'order.events',
        batch: 3,
        ok: false,
        ratio: 0.5,
        tags: ['a', 'b'],
      },
    },
    trace.setSpan(context.active(), parent),
  );
  child.end();
  const consumer = tracer.startSpan('consume', {
    kind: SpanKind.CONSUMER,
    links: [{ context: child.spanContext(), attributes: { why: 'committed-by' } }],
  });
  consumer.setStatus({ code: SpanStatusCode.ERROR, message: 'handler failed' });
  consumer.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return {
    traceId: parent.spanContext().traceId,
    parent: parent.spanContext().spanId,
    child: child.spanContext().spanId,
  };
}

const encodings = [
  { name: 'protobuf', make: (url: string) => new ProtoExporter({ url }) },
  { name: 'json', make: (url: string) => new JsonExporter({ url }) },
  { name: 'protobuf, gzip', make: (url: string) => new ProtoExporter({ url, compression: 'gzip' as never }) },
] as const;

describe('startOtlpReceiver', () => {
  for (const { name, make } of encodings) {
    it(`decodes spans the OpenTelemetry exporter sends as ${name}`, async () => {
      const ids = await emit(make(`${receiver.url}/v1/traces`));
      const spans = await receiver.waitFor((all) => (all.length >= 3 ? all : undefined));
      const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
      const server = byName['POST /orders']!;
      const producer = byName['relay.publish']!;
      const consume = byName.consume!;

      expect(server).toMatchObject({
        traceId: ids.traceId,
        spanId: ids.parent,
        parentSpanId: undefined,
        kind: 'server',
        serviceName: 'receiver-test',
        scope: 'receiver-test-scope',
        encoding: name.startsWith('json') ? 'json' : 'protobuf',
        status: { code: 'unset' },
      });
      expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(producer).toMatchObject({ traceId: ids.traceId, spanId: ids.child, parentSpanId: ids.parent });
      expect(producer.kind).toBe('producer');
      expect(producer.attributes).toEqual({
        'messaging.destination.name': 'order.events',
        batch: 3,
        ok: false,
        ratio: 0.5,
        tags: ['a', 'b'],
      });
      expect(consume.kind).toBe('consumer');
      expect(consume.traceId).not.toBe(ids.traceId);
      expect(consume.links).toEqual([
        { traceId: ids.traceId, spanId: ids.child, attributes: { why: 'committed-by' } },
      ]);
      expect(consume.status).toEqual({ code: 'error', message: 'handler failed' });
      expect(BigInt(server.endTimeUnixNano)).toBeGreaterThan(0n);
    });
  }

  it('waitFor rejects after its timeout, naming what arrived', async () => {
    await expect(receiver.waitFor((spans) => spans.find((s) => s.name === 'never'), 50)).rejects.toThrow(
      /no match within 50 ms; 0 spans received/,
    );
  });

  it('answers 415 to other content types and 404 to other paths', async () => {
    const text = await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(text.status).toBe(415);
    const metrics = await fetch(`${receiver.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(metrics.status).toBe(404);
    const garbage = await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(garbage.status).toBe(400);
    expect(receiver.spans()).toEqual([]);
  });
});
