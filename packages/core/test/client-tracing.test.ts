import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOnSampler, NoopSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../src/index.ts';
import { startUpstream, type Upstream } from './client-upstream.ts';

// A real OpenTelemetry SDK in this test process (W3C propagator, async context), exporting nowhere.
const sdk = new NodeSDK({
  sampler: new AlwaysOnSampler(),
  spanProcessors: [new NoopSpanProcessor()],
  textMapPropagator: new W3CTraceContextPropagator(),
  metricReaders: [],
  logRecordProcessors: [],
  resourceDetectors: [],
  instrumentations: [],
});
let up: Upstream;
let service: Service;

beforeAll(async () => {
  sdk.start();
  up = await startUpstream();
  service = createService({
    name: 'caller-service',
    env: { INVENTORY_SERVICE_URL: up.url },
    logStream: new Writable({ write: (_c, _e, cb) => cb() }),
  });
});

afterAll(async () => {
  await service.stop();
  await up.close();
  await sdk.shutdown();
});

/** Calls the upstream inside an active span; returns that span's ids and the headers received. */
async function callInSpan(): Promise<{ traceId: string; spanId: string; traceparents: string[] }> {
  const client = service.client('inventory-service');
  return trace.getTracer('test').startActiveSpan('caller-operation', async (span) => {
    await client.get('/api/v1/stock', { request: { id: 'req-trace' } });
    span.end();
    const hit = up.hits.at(-1)!;
    const traceparents = hit.rawHeaders.filter(
      (_v, i) => i % 2 === 1 && hit.rawHeaders[i - 1]?.toLowerCase() === 'traceparent',
    );
    const { traceId, spanId } = span.spanContext();
    return { traceId, spanId, traceparents };
  });
}

describe('service client: trace context', () => {
  it('injects the active trace context as traceparent (no undici instrumentation)', async () => {
    const { traceId, spanId, traceparents } = await callInSpan();
    expect(traceparents).toEqual([`00-${traceId}-${spanId}-01`]);
    expect(up.hits.at(-1)?.headers['x-request-id']).toBe('req-trace');
  });

  it('leaves injection to an active undici instrumentation: one traceparent, parented by its client span', async () => {
    const instrumentation = new UndiciInstrumentation();
    try {
      instrumentation.enable();
      const { traceId, spanId, traceparents } = await callInSpan();
      expect(traceparents).toHaveLength(1);
      const [, sentTrace, sentParent] = traceparents[0]!.split('-');
      expect(sentTrace).toBe(traceId);
      // The parent is the instrumentation's HTTP client span, a child of the caller's span.
      expect(sentParent).not.toBe(spanId);
    } finally {
      instrumentation.disable();
    }
  });
});
