import { afterAll, describe, expect, it } from 'vitest';
import { bearer, startTestIssuer } from '../../../test/support/tokens.ts';
import { createMemoryProductRepository } from '../src/repositories/product-repository.ts';
import { createInventoryService } from '../src/service.ts';

const issuer = await startTestIssuer();
const service = await createInventoryService({
  env: { LOG_LEVEL: 'silent', ...issuer.env },
  repository: createMemoryProductRepository(),
});
afterAll(async () => {
  await service.app.close();
  await issuer.close();
});

const pen = { name: 'Pen', sku: 'PEN-1', stock: 5, price: { amount: 199, currency: 'EUR' } };
/** Writes need an admin; this one is in tenant `default`, the tenant anonymous reads show. */
const admin = bearer(await issuer.admin());

describe('inventory-service API', () => {
  it('v2 creates and reads a product with SKU and price', async () => {
    const created = await service.app.inject({
      method: 'POST',
      url: '/api/v2/products',
      payload: pen,
      headers: admin,
    });
    expect(created.statusCode).toBe(201);
    const product = created.json().data;
    expect(product).toMatchObject(pen);
    expect(created.headers.location).toBe(`/api/v2/products/${product.id}?tenant=default`);
    const read = await service.app.inject({ url: `/api/v2/products/${product.id}` });
    expect(read.json().data).toEqual(product);
  });

  it('v1 shows the same product in its own shape, with deprecation headers', async () => {
    const list = await service.app.inject({ url: '/api/v1/products' });
    expect(list.json().data).toEqual([{ id: expect.any(String), name: 'Pen', stock: 5 }]);
    expect(list.headers.deprecation).toMatch(/^@\d+$/);
    expect(list.headers.sunset).toBe('Mon, 01 Mar 2027 00:00:00 GMT');
    expect(list.headers.link).toBe('</api/v2/products>; rel="successor-version"');
  });

  it('a product created through v1 has null SKU and price in v2', async () => {
    const created = await service.app.inject({
      method: 'POST',
      headers: admin,
      url: '/api/v1/products',
      payload: { name: 'Cup', stock: 2 },
    });
    expect(created.json().data).toEqual({ id: expect.any(String), name: 'Cup', stock: 2 });
    const v2 = await service.app.inject({ url: `/api/v2/products/${created.json().data.id}` });
    expect(v2.json().data).toMatchObject({ name: 'Cup', sku: null, price: null });
  });

  it('v2 requires a SKU and an integer amount in a real ISO 4217 currency', async () => {
    const noSku = await service.app.inject({
      method: 'POST',
      headers: admin,
      url: '/api/v2/products',
      payload: { ...pen, sku: undefined },
    });
    expect(noSku.statusCode).toBe(400);
    expect(noSku.json().error.details.fields).toContainEqual(expect.objectContaining({ path: 'body/sku' }));
    const fraction = await service.app.inject({
      method: 'POST',
      headers: admin,
      url: '/api/v2/products',
      payload: { ...pen, sku: 'X', price: { amount: 1.5, currency: 'EUR' } },
    });
    expect(fraction.statusCode).toBe(400);
    expect(fraction.json().error.details.fields[0].path).toBe('body/price/amount');
    const fake = await service.app.inject({
      method: 'POST',
      headers: admin,
      url: '/api/v2/products',
      payload: { ...pen, sku: 'Y', price: { amount: 1, currency: 'ABC' } },
    });
    expect(fake.statusCode).toBe(400);
    expect(fake.json().error.code).toBe('CURRENCY_UNKNOWN');
  });

  it('409 SKU_TAKEN for a duplicate SKU; 404 PRODUCT_NOT_FOUND for an unknown id', async () => {
    const dup = await service.app.inject({
      method: 'POST',
      url: '/api/v2/products',
      payload: pen,
      headers: admin,
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('SKU_TAKEN');
    const missing = await service.app.inject({
      url: '/api/v2/products/7d1f5a3e-1111-4c1b-9a55-000000000000',
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('PRODUCT_NOT_FOUND');
    const badId = await service.app.inject({ url: '/api/v2/products/not-a-uuid' });
    expect(badId.statusCode).toBe(400);
  });

  it('v2 adjusts stock; never below zero', async () => {
    const created = await service.app.inject({
      method: 'POST',
      headers: admin,
      url: '/api/v2/products',
      payload: { ...pen, sku: 'STOCK-1', stock: 3 },
    });
    const id = created.json().data.id;
    const taken = await service.app.inject({
      method: 'POST',
      headers: admin,
      url: `/api/v2/products/${id}/stock-adjustments`,
      payload: { delta: -2 },
    });
    expect(taken.json().data.stock).toBe(1);
    const tooMuch = await service.app.inject({
      method: 'POST',
      headers: admin,
      url: `/api/v2/products/${id}/stock-adjustments`,
      payload: { delta: -2 },
    });
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json().error.code).toBe('STOCK_INSUFFICIENT');
    const zero = await service.app.inject({
      method: 'POST',
      headers: admin,
      url: `/api/v2/products/${id}/stock-adjustments`,
      payload: { delta: 0 },
    });
    expect(zero.statusCode).toBe(400);
  });

  it('unversioned /api/products redirects to v2; API-Version: 1 serves v1 in place', async () => {
    const redirect = await service.app.inject({ url: '/api/products' });
    expect(redirect.statusCode).toBe(307);
    expect(redirect.headers.location).toBe('/api/v2/products');
    const v1 = await service.app.inject({ url: '/api/products', headers: { 'api-version': '1' } });
    expect(v1.statusCode).toBe(200);
    expect(v1.json().metadata.version).toBe('v1');
  });
});

describe('inventory-service access: public reads, admin writes, per tenant', () => {
  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    service.app.inject({ method: 'POST', url, payload, headers });
  const mug = (sku: string) => ({ name: 'Mug', sku, stock: 4, price: { amount: 899, currency: 'EUR' } });

  it('writes need a token (401 with a Bearer challenge) and the admin role (403)', async () => {
    const anonymous = await post('/api/v2/products', mug('MUG-ANON'));
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('UNAUTHENTICATED');
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer /);
    const user = await post('/api/v2/products', mug('MUG-USER'), bearer(await issuer.user('default')));
    expect(user.statusCode).toBe(403);
    expect(user.json().error).toMatchObject({ code: 'FORBIDDEN', details: { requiredRoles: ['admin'] } });
    const v1 = await post(
      '/api/v1/products',
      { name: 'Cup', stock: 1 },
      bearer(await issuer.user('default')),
    );
    expect(v1.statusCode).toBe(403);
    const list = await service.app.inject({ url: '/api/v2/products' });
    expect(list.json().data.map((p: { sku: string }) => p.sku)).not.toContain('MUG-USER');
  });

  it("an admin writes in its own tenant, or in the tenant it names; reads show one tenant's products", async () => {
    const shopA = bearer(await issuer.admin('shop-a'));
    const own = await post('/api/v2/products', mug('MUG-A'), shopA);
    expect(own.statusCode).toBe(201);
    expect(own.headers.location).toBe(`/api/v2/products/${own.json().data.id}?tenant=shop-a`);
    const named = await post('/api/v2/products?tenant=shop-b', mug('MUG-B'), admin);
    expect(named.statusCode).toBe(201);

    const skus = async (url: string, headers = {}) =>
      (await service.app.inject({ url, headers })).json().data.map((p: { sku: string }) => p.sku);
    // Anonymous: tenant `default` unless it names one; a token: its own tenant unless it names one.
    expect(await skus('/api/v2/products')).not.toContain('MUG-A');
    expect(await skus('/api/v2/products?tenant=shop-a')).toEqual(['MUG-A']);
    expect(await skus('/api/v2/products', bearer(await issuer.user('shop-b')))).toEqual(['MUG-B']);
    expect(await skus('/api/v2/products', bearer(await issuer.user('shop-c')))).toEqual([]);

    // By id: another tenant's product is a plain 404, as if it did not exist.
    const id = own.json().data.id;
    const elsewhere = await service.app.inject({ url: `/api/v2/products/${id}` });
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json().error.code).toBe('PRODUCT_NOT_FOUND');
    const located = await service.app.inject({ url: own.headers.location as string });
    expect(located.json().data).toMatchObject(mug('MUG-A'));
    const v1 = await service.app.inject({ url: `/api/v1/products/${id}`, headers: shopA });
    expect(v1.json().data).toEqual({ id, name: 'Mug', stock: 4 });
  });

  it('SKUs are unique per tenant: the same SKU in another tenant is no conflict', async () => {
    const first = await post('/api/v2/products?tenant=shop-d', mug('SHARED-1'), admin);
    const other = await post('/api/v2/products?tenant=shop-e', mug('SHARED-1'), admin);
    expect([first.statusCode, other.statusCode]).toEqual([201, 201]);
    const again = await post('/api/v2/products?tenant=shop-e', mug('SHARED-1'), admin);
    expect(again.json().error.code).toBe('SKU_TAKEN');
  });

  it('stock adjustments find the product only in the tenant they act in', async () => {
    const created = await post('/api/v2/products?tenant=shop-f', mug('MUG-F'), admin);
    const url = `/api/v2/products/${created.json().data.id}/stock-adjustments`;
    const wrongTenant = await post(url, { delta: 1 }, admin);
    expect(wrongTenant.statusCode).toBe(404);
    const named = await post(`${url}?tenant=shop-f`, { delta: 1 }, admin);
    expect(named.json().data.stock).toBe(5);
    const ownAdmin = await post(url, { delta: -5 }, bearer(await issuer.admin('shop-f')));
    expect(ownAdmin.json().data.stock).toBe(0);
    const user = await post(url, { delta: 1 }, bearer(await issuer.user('shop-f')));
    expect(user.statusCode).toBe(403);
  });

  it('rejects a tenant id no token can carry, and an invalid token even on a public read', async () => {
    const bad = await post('/api/v2/products?tenant=Shop%20A', mug('MUG-BAD'), admin);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.fields[0].path).toBe('querystring/tenant');
    const read = await service.app.inject({ url: '/api/v2/products?tenant=Shop%20A' });
    expect(read.statusCode).toBe(400);
    const forged = await service.app.inject({ url: '/api/v2/products', headers: bearer('not.a.token') });
    expect(forged.statusCode).toBe(401);
  });
});
