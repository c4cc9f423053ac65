import type { Service } from '@outrig/core';
import { isOutrigError } from '@outrig/core/errors';
import { inventoryRoutes } from '@shop/inventory-service/client-routes';
import type { Catalogue } from './orders.ts';

/**
 * Prices and names from the catalogue of the caller's tenant (a public read of
 * inventory-service), through a client typed by inventory-service's own schemas (its
 * client-routes): no interface here to drift. What it reads is recorded as a consumer contract
 * (test/inventory-contract.test.ts) and verified against the real inventory-service.
 */
export function inventoryCatalogue(service: Service): Catalogue {
  const inventory = service.client('inventory-service', { routes: inventoryRoutes });
  return async (tenant, id) => {
    try {
      const product = await inventory.get('/api/v2/products/:id', { params: { id }, query: { tenant } });
      return { id: product.id, name: product.name, price: product.price };
    } catch (error) {
      if (isOutrigError(error) && error.code === 'PRODUCT_NOT_FOUND') return undefined;
      throw error;
    }
  };
}
