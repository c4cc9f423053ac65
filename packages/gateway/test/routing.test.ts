import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.ts';
import { json, rawGet, startGateway, startUpstream, type TestUpstream, tempRegistry } from './helpers.ts';

// Two real services (createService on ports of 127.0.0.1) registered in a real `local:` registry,
// behind a gateway on its own port; every request goes over HTTP.
let registry: Awaited<ReturnType<typeof tempRegistry>>;
let inventory: TestUpstream;
let notifications: TestUpstream;
let gateway: Gateway;
let url: string;
let logs: ReturnType<typeof import('./helpers.ts').logCapture>;

beforeAll(async () => {
  registry = await tempRegistry();
  inventory = await startUpstream('inventory-service', { resource: 'products', tag: 'inv' });
  notifications = await startUpstream('notification-service', { resource: 'notifications', tag: 'notif' });
  await registry.register('inventory-service', inventory);
  await registry.register('notification-service', notifications);
  ({ gateway, url, logs } = await startGateway(
    [
      { path: '/api/*/products/**', service: 'inventory-service' },
      { path: '/api/*/notifications', service: 'notification-service' },
    ],
    registry.registry,
  ));
});

afterAll(async () => {
  await gateway?.stop();
  await inventory?.stop();
  await notifications?.stop();
  await registry?.close();
});

describe('routing by path prefix', () => {
  it('sends each prefix to its service, path and query unchanged', async () => {
    const product = await fetch(`${url}/api/v2/products/42?x=1`);
    expect(product.status).toBe(200);
    expect((await json(product)).data).toEqual({ id: '42', version: 2, tag: 'inv' });
    expect(inventory.hits.count('GET /api/v2/products/42')).toBe(1);

    const list = await fetch(`${url}/api/v2/notifications`);
    expect((await json(list)).data).toEqual([{ id: '1', version: 2, tag: 'notif' }]);
  });

  it("relays the service's answer: status, headers, error envelope", async () => {
    const v1 = await fetch(`${url}/api/v1/products`);
    expect(v1.status).toBe(200);
    expect(v1.headers.get('deprecation')).toMatch(/^@\d+$/);
    expect(v1.headers.get('api-version')).toBe('v1');

    const missing = await fetch(`${url}/api/v2/products/42/nothing-here`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('NOT_FOUND');

    const created = await fetch(`${url}/api/v2/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Pen' }),
    });
    expect(created.status).toBe(201);
    expect((await json(created)).data).toMatchObject({ name: 'Pen', tag: 'inv' });

    const invalid = await fetch(`${url}/api/v2/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nom: 'Pen' }),
    });
    expect(invalid.status).toBe(400);
    expect((await json(invalid)).error.code).toBe('VALIDATION_FAILED');
  });

  it('streams a large answer through', async () => {
    const res = await fetch(`${url}/api/v2/products/big`);
    expect(res.status).toBe(200);
    expect((await res.text()).length).toBe(300_000);
  });

  it('answers 404 in the envelope for paths no route covers', async () => {
    const res = await fetch(`${url}/api/v2/orders`);
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('NOT_FOUND');
    const notVersion = await fetch(`${url}/api/latest/products`);
    expect(notVersion.status).toBe(404);
  });

  it('refuses dot segments that could reach another route after normalization', async () => {
    // fetch() would normalize the path before sending: send it raw.
    for (const path of ['/api/v2/products/../../orders', '/api/v2/products/%2e%2e/%2e%2e/orders']) {
      const res = await rawGet(url, path);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe('BAD_REQUEST');
    }
    expect(inventory.hits.byRoute.size).toBeGreaterThan(0);
    expect([...inventory.hits.byRoute.keys()].some((k) => k.includes('..') || k.includes('%2e'))).toBe(false);
  });

  it('propagates the request id (the caller’s, or its own) and trace headers', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await fetch(`${url}/api/v2/products/7`, {
      headers: { 'x-request-id': 'req-abc-1', traceparent, tracestate: 'a=1', authorization: 'Bearer xyz' },
    });
    expect(res.headers.get('x-request-id')).toBe('req-abc-1');
    const seen = inventory.hits.lastHeaders.get('GET /api/v2/products/7')!;
    expect(seen['x-request-id']).toBe('req-abc-1');
    expect(seen.traceparent).toBe(traceparent);
    expect(seen.tracestate).toBe('a=1');
    expect(seen.authorization).toBe('Bearer xyz');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');

    const generated = await fetch(`${url}/api/v2/products/8`);
    const id = generated.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(inventory.hits.lastHeaders.get('GET /api/v2/products/8')!['x-request-id']).toBe(id);
    const line = logs.lines().find((l) => l.requestId === id || (l.req as { id?: string })?.id === id);
    expect(line).toBeDefined();
  });

  it('serves /health, /ready (registry) and /metrics of its own', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect((await json(ready)).data.checks).toHaveProperty('registry', 'ok');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('gateway_upstream_instances{upstream="inventory-service",service="gateway"} 1');
    expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/api\/:apiVersion\/products\/\*"/);
  });
});
