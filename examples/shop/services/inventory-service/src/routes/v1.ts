import { type ServiceApp, Type } from '@outrig/core';
import type { Products } from '../products.ts';
import type { Product } from '../repositories/product-repository.ts';
import { CreateProductV1, ProductId, ProductV1 } from '../schemas/product.ts';

const toV1 = (p: Product): ProductV1 => ({ id: p.id, name: p.name, stock: p.stock });

/** API v1 (deprecated): products without SKU or price. */
export function productRoutesV1(products: Products) {
  return (api: ServiceApp) => {
    api.get(
      '/products',
      { schema: { summary: 'List products', response: { 200: Type.Array(ProductV1) } } },
      async () => (await products.list()).map(toV1),
    );
    api.get(
      '/products/:id',
      { schema: { summary: 'Get a product', params: ProductId, response: { 200: ProductV1 } } },
      async (request) => toV1(await products.get(request.params.id)),
    );
    api.post(
      '/products',
      { schema: { summary: 'Create a product', body: CreateProductV1, response: { 201: ProductV1 } } },
      async (request, reply) => {
        const product = await products.create({ ...request.body, sku: null, price: null });
        reply.code(201).header('location', `/api/v1/products/${product.id}`);
        return toV1(product);
      },
    );
  };
}
