import { type ServiceApp, Type } from '@outrig/core';
import type { Products } from '../products.ts';
import type { Product } from '../repositories/product-repository.ts';
import {
  CreateProductV2,
  ProductId,
  ProductV2,
  type ProductV2 as ProductV2Type,
  StockAdjustment,
} from '../schemas/product.ts';

const toV2 = (p: Product): ProductV2Type => ({
  id: p.id,
  name: p.name,
  sku: p.sku,
  stock: p.stock,
  price: p.price,
});

/** API v2 (current): products with SKU and price in minor units. */
export function productRoutesV2(products: Products) {
  return (api: ServiceApp) => {
    api.get(
      '/products',
      { schema: { summary: 'List products', response: { 200: Type.Array(ProductV2) } } },
      async () => (await products.list()).map(toV2),
    );
    api.get(
      '/products/:id',
      { schema: { summary: 'Get a product', params: ProductId, response: { 200: ProductV2 } } },
      async (request) => toV2(await products.get(request.params.id)),
    );
    api.post(
      '/products',
      { schema: { summary: 'Create a product', body: CreateProductV2, response: { 201: ProductV2 } } },
      async (request, reply) => {
        const product = await products.create(request.body);
        reply.code(201).header('location', `/api/v2/products/${product.id}`);
        return toV2(product);
      },
    );
    api.post(
      '/products/:id/stock-adjustments',
      {
        schema: {
          summary: 'Add to (or take from) stock',
          params: ProductId,
          body: StockAdjustment,
          response: { 200: ProductV2 },
        },
      },
      async (request) => toV2(await products.adjustStock(request.params.id, request.body.delta)),
    );
  };
}
