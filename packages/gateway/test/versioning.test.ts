import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.ts';
import { json, startGateway, startUpstream, type TestUpstream, tempRegistry } from './helpers.ts';

// inventory-service serves v1 (deprecated) and v2 and publishes versions=1,2 latest=2 deprecated=1
// in a real `local:` registry; the gateway resolves unversioned paths from that metadata.
let registry: Awaited<ReturnType<typeof tempRegistry>>;
let inventory: TestUpstream;
let redirecting: { gateway: Gateway; url: string };
let serving: { gateway: Gateway; url: string };
const routes = [{ path: '/api/*/products', service: 'inventory-service' }];

beforeAll(async () => {
  registry = await tempRegistry();
  inventory = await startUpstream('inventory-service', { resource: 'products', tag: 'inv' });
  await registry.register('inventory-service', inventory);
  redirecting = await startGateway(routes, registry.registry);
  serving = await startGateway(routes, registry.registry, { API_UNVERSIONED: 'serve' });
});

afterAll(async () => {
  await redirecting?.gateway.stop();
  await serving?.gateway.stop();
  await inventory?.stop();
  await registry?.close();
});

describe('the versioning contract at the gateway', () => {
  it('the registry metadata carries the versions the gateway reads', async () => {
    const [instance] = await registry.registry.list('inventory-service');
    expect(instance?.meta).toMatchObject({ versions: '1,2', latest: '2', deprecated: '1' });
    const upstream = redirecting.gateway.upstream('inventory-service')!;
    await upstream.waitForInstances(5000);
    expect(upstream.latestVersion()).toBe(2);
  });

  it('307 from an unversioned path to the latest version, query kept, without calling the service', async () => {
    const before = inventory.hits.byRoute.size;
    const res = await fetch(`${redirecting.url}/api/products/5?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe('/api/v2/products/5?x=1');
    expect(res.headers.get('vary')).toBe('API-Version, Accept-Version');
    expect(inventory.hits.byRoute.size).toBe(before);

    const followed = await fetch(`${redirecting.url}/api/products/5`);
    expect((await json(followed)).data).toMatchObject({ id: '5', version: 2 });
  });

  it('keeps the method on the redirect', async () => {
    const res = await fetch(`${redirecting.url}/api/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Pen' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe('/api/v2/products');
  });

  it('API-Version / Accept-Version select the version in place', async () => {
    const v1 = await fetch(`${redirecting.url}/api/products`, { headers: { 'api-version': '1' } });
    expect(v1.status).toBe(200);
    expect((await json(v1)).data[0].version).toBe(1);
    expect(v1.headers.get('api-version')).toBe('v1');
    expect(v1.headers.get('deprecation')).toMatch(/^@\d+$/);
    const v2 = await fetch(`${redirecting.url}/api/products`, { headers: { 'accept-version': 'v2' } });
    expect((await json(v2)).data[0].version).toBe(2);
  });

  it('an invalid version header is 400, an unknown version is the service’s 404', async () => {
    const bad = await fetch(`${redirecting.url}/api/products`, { headers: { 'api-version': 'latest!' } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe('BAD_REQUEST');
    const unknown = await fetch(`${redirecting.url}/api/products`, { headers: { 'api-version': '9' } });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error.code).toBe('API_VERSION_UNKNOWN');
  });

  it('in serve mode, an unversioned path is served by the latest version in place', async () => {
    const res = await fetch(`${serving.url}/api/products/5`, { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect((await json(res)).data).toMatchObject({ id: '5', version: 2 });
    expect(inventory.hits.count('GET /api/v2/products/5')).toBeGreaterThan(0);
  });

  it('/api/versions lists the versions of every service behind it', async () => {
    const res = await fetch(`${redirecting.url}/api/versions`);
    expect(res.status).toBe(200);
    const { services } = (await json(res)).data;
    expect(services).toHaveLength(1);
    expect(services[0]).toMatchObject({ service: 'inventory-service', latest: 'v2', source: 'service' });
    expect(services[0].versions).toEqual([
      expect.objectContaining({ version: 'v1', status: 'deprecated', sunset: expect.any(String) }),
      expect.objectContaining({ version: 'v2', status: 'current' }),
    ]);
  });
});
