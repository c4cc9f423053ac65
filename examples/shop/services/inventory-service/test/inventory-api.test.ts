import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryProductRepository } from '../src/repositories/product-repository.ts';
import { createInventoryService } from '../src/service.ts';

const service = await createInventoryService({
  env: { LOG_LEVEL: 'silent' },
  repository: createMemoryProductRepository(),
});
afterAll(() => service.app.close());

const pen = { name: 'Pen', sku: 'PEN-1', stock: 5, price: { amount: 199, currency: 'EUR' } };

describe('inventory-service API', () => {
  it('v2 creates and reads a product with SKU and price', async () => {
    const created = await service.app.inject({ method: 'POST', url: '/api/v2/products', payload: pen });
    expect(created.statusCode).toBe(201);
    const product = created.json().data;
    expect(product).toMatchObject(pen);
    expect(created.headers.location).toBe(`/api/v2/products/${product.id}`);
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
      url: '/api/v2/products',
      payload: { ...pen, sku: undefined },
    });
    expect(noSku.statusCode).toBe(400);
    expect(noSku.json().error.details.fields).toContainEqual(expect.objectContaining({ path: 'body/sku' }));
    const fraction = await service.app.inject({
      method: 'POST',
      url: '/api/v2/products',
      payload: { ...pen, sku: 'X', price: { amount: 1.5, currency: 'EUR' } },
    });
    expect(fraction.statusCode).toBe(400);
    expect(fraction.json().error.details.fields[0].path).toBe('body/price/amount');
    const fake = await service.app.inject({
      method: 'POST',
      url: '/api/v2/products',
      payload: { ...pen, sku: 'Y', price: { amount: 1, currency: 'ABC' } },
    });
    expect(fake.statusCode).toBe(400);
    expect(fake.json().error.code).toBe('CURRENCY_UNKNOWN');
  });

  it('409 SKU_TAKEN for a duplicate SKU; 404 PRODUCT_NOT_FOUND for an unknown id', async () => {
    const dup = await service.app.inject({ method: 'POST', url: '/api/v2/products', payload: pen });
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
      url: '/api/v2/products',
      payload: { ...pen, sku: 'STOCK-1', stock: 3 },
    });
    const id = created.json().data.id;
    const taken = await service.app.inject({
      method: 'POST',
      url: `/api/v2/products/${id}/stock-adjustments`,
      payload: { delta: -2 },
    });
    expect(taken.json().data.stock).toBe(1);
    const tooMuch = await service.app.inject({
      method: 'POST',
      url: `/api/v2/products/${id}/stock-adjustments`,
      payload: { delta: -2 },
    });
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json().error.code).toBe('STOCK_INSUFFICIENT');
    const zero = await service.app.inject({
      method: 'POST',
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
