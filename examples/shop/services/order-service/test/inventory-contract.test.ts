// The consumer side of order-service's contract with inventory-service: the real catalogue code
// (src/catalogue.ts, its typed client) runs against a stub that answers with what order-service
// expects; what it reads is recorded in examples/shop/contracts/consumers/, where
// examples/shop/test/api-fuzz.test.ts verifies it against the real inventory-service.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createService } from '@outrig/core';
import { consumerContract, type Interaction, stubProvider, writeConsumerContract } from '@outrig/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { inventoryCatalogue } from '../src/catalogue.ts';

const DIR = join(import.meta.dirname, '..', '..', '..', 'contracts', 'consumers');
const id = randomUUID();

const INTERACTIONS: Interaction[] = [
  {
    description: "reads a product's name and price from the tenant's catalogue",
    state: 'a product with a price',
    request: { method: 'GET', path: '/api/v2/products/:id', query: { tenant: 'acme' } },
    response: { status: 200, data: { id, name: 'Lamp', price: { amount: 2500, currency: 'EUR' } } },
  },
  {
    description: 'learns that a product is not in the catalogue',
    state: 'no such product',
    request: { method: 'GET', path: '/api/v2/products/:id', query: { tenant: 'acme' } },
    response: { status: 404, data: { code: 'PRODUCT_NOT_FOUND', message: 'Product not found' } },
  },
];

describe('order-service as a consumer of inventory-service', () => {
  const stubs: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const s of stubs) await s.close();
  });

  for (const interaction of INTERACTIONS) {
    it(`${interaction.description}: the catalogue works against exactly that answer`, async () => {
      const stub = await stubProvider([interaction]);
      stubs.push(stub);
      const service = createService({
        name: 'order-service',
        env: { LOG_LEVEL: 'silent', INVENTORY_SERVICE_URL: stub.url, SERVICE_PORT: '0' },
      });
      const product = await inventoryCatalogue(service)('acme', id);
      if (interaction.response.status === 200) {
        expect(product).toEqual({ id, name: 'Lamp', price: { amount: 2500, currency: 'EUR' } });
      } else {
        expect(product).toBeUndefined();
      }
      expect(stub.unmatched).toEqual([]);
      expect([...stub.used]).toEqual([interaction.description]);
    });
  }

  it('records what it expects (commit examples/shop/contracts/consumers/ when it changes)', async () => {
    const { file, changed } = await writeConsumerContract(
      DIR,
      consumerContract('order-service', 'inventory-service', INTERACTIONS.map(withFixedId)),
    );
    // Under CI the committed contract must already be this one: a changed expectation is reviewed.
    if (process.env.CI === 'true') expect(changed, `${file} differs from what the tests expect`).toBe(false);
  });
});

/** The recorded example uses a fixed id (the provider's test supplies a real one). */
function withFixedId(i: Interaction): Interaction {
  const data = i.response.data as Record<string, unknown>;
  return 'id' in data
    ? { ...i, response: { ...i.response, data: { ...data, id: '00000000-0000-7000-8000-000000000000' } } }
    : i;
}
