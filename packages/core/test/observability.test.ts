import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleService } from './helpers.ts';

const { service } = exampleService({ CORS_ORIGINS: 'https://shop.example' });
afterAll(() => service.app.close());

describe('/metrics', () => {
  it('exposes RED metrics by method, route template and status, plus process metrics', async () => {
    await service.app.inject({ url: '/api/v2/items/1' });
    await service.app.inject({ url: '/api/v2/items/2' });
    await service.app.inject({ url: '/nope' });
    const res = await service.app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain(
      'http_requests_total{method="GET",route="/api/v2/items/:id",status="200",service="test-service"} 2',
    );
    expect(res.body).toContain('http_requests_total{method="GET",route="unmatched",status="404"');
    expect(res.body).toMatch(
      /http_request_duration_seconds_bucket\{le="0.005",.*route="\/api\/v2\/items\/:id"/,
    );
    expect(res.body).toContain('process_resident_memory_bytes');
  });

  it('keeps /health, /ready and /metrics out of the RED metrics', async () => {
    await service.app.inject({ url: '/health' });
    await service.app.inject({ url: '/ready' });
    const res = await service.app.inject({ url: '/metrics' });
    expect(res.body).not.toMatch(/route="\/(health|ready|metrics)"/);
  });

  it('registers custom metrics on the service registry', async () => {
    const counter = service.metrics.counter({ name: 'widgets_made_total', help: 'Widgets made' });
    counter.inc(3);
    const res = await service.app.inject({ url: '/metrics' });
    expect(res.body).toContain('widgets_made_total{service="test-service"} 3');
  });
});

describe('OpenAPI and docs', () => {
  it('serves a valid OpenAPI 3.1 document listing every version', async () => {
    const res = await service.app.inject({ url: '/openapi.json' });
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/items/{id}',
        '/api/v2/items/{id}',
        '/api/v1/items',
        '/api/versions',
        '/health',
      ]),
    );
    expect(Object.keys(doc.paths)).not.toContain('/api/*');
    expect(
      doc.paths['/api/v2/items/{id}'].get.responses['200'].content['application/json'].schema.required,
    ).toEqual(['data', 'metadata']);
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('serves the API reference page at /docs', async () => {
    const res = await service.app.inject({ url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('/openapi.json');
  });
});

describe('health and readiness', () => {
  it('/health answers 200 in the envelope', async () => {
    const res = await service.app.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ status: 'ok' });
  });

  it('/ready runs registered checks and answers 503 naming a failing one', async () => {
    const { service: s } = exampleService();
    let dbUp = true;
    s.readiness('database', async () => {
      if (!dbUp) throw new Error('connection refused');
    });
    const up = await s.app.inject({ url: '/ready' });
    expect(up.statusCode).toBe(200);
    expect(up.json().data.checks).toEqual({ database: 'ok' });
    dbUp = false;
    const down = await s.app.inject({ url: '/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.json().error).toMatchObject({
      code: 'NOT_READY',
      details: { checks: { database: 'down: connection refused' } },
    });
    await s.app.close();
  });
});

describe('CORS', () => {
  it('answers preflight for an allowed origin and exposes the kit headers', async () => {
    const res = await service.app.inject({
      method: 'OPTIONS',
      url: '/api/v2/items/1',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
    const get = await service.app.inject({
      url: '/api/v2/items/1',
      headers: { origin: 'https://shop.example' },
    });
    expect(get.headers['access-control-expose-headers']).toContain('x-request-id');
  });

  it('is off unless CORS_ORIGINS is set', async () => {
    const { service: s } = exampleService();
    const res = await s.app.inject({ url: '/api/v2/items/1', headers: { origin: 'https://evil.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    await s.app.close();
  });
});
