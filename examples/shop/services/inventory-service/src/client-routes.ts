import { defineClientRoutes } from '@outrig/core';
import { ProductId, ProductV2 } from './schemas/product.ts';
import { CatalogueQuery } from './tenants.ts';

/**
 * The routes inventory-service offers other services, with the schemas its own routes use: a
 * caller passes this map to `service.client('inventory-service', { routes: inventoryRoutes })`
 * and gets typed calls (order-service reads prices with it), so no hand-written interface can
 * drift from what inventory-service answers. Imported as `@shop/inventory-service/client-routes`.
 */
export const inventoryRoutes = defineClientRoutes({
  'GET /api/v2/products/:id': { params: ProductId, query: CatalogueQuery, response: ProductV2 },
});

export type InventoryRoutes = typeof inventoryRoutes;
