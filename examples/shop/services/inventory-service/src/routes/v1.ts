import { type ServiceApp, Type } from '@outrig/core';
import type { Products } from '../products.ts';
import type { Product } from '../repositories/product-repository.ts';
import { CreateProductV1, ProductId, ProductV1 } from '../schemas/product.ts';
import { CatalogueQuery, catalogueTenant, writeTenant } from '../tenants.ts';
import { adminWrite, productLocation, publicRead } from './access.ts';

const toV1 = (p: Product): ProductV1 => ({ id: p.id, name: p.name, stock: p.stock });

/** API v1 (deprecated): products without SKU or price. Public reads, admin writes, per tenant. */
export function productRoutesV1(products: Products) {
  return (api: ServiceApp) => {
    api.get(
      '/products',
      {
        config: publicRead(),
        schema: {
          summary: "List a tenant's products",
          querystring: CatalogueQuery,
          response: { 200: Type.Array(ProductV1) },
        },
      },
      async (request) => (await products.list(catalogueTenant(request))).map(toV1),
    );
    api.get(
      '/products/:id',
      {
        config: publicRead(),
        schema: {
          summary: 'Get a product of a tenant',
          params: ProductId,
          querystring: CatalogueQuery,
          response: { 200: ProductV1 },
        },
      },
      async (request) => toV1(await products.get(catalogueTenant(request), request.params.id)),
    );
    api.post(
      '/products',
      {
        config: adminWrite(),
        schema: { summary: 'Create a product (admin)', body: CreateProductV1, response: { 201: ProductV1 } },
      },
      async (request, reply) => {
        const product = await products.create(writeTenant(request), {
          ...request.body,
          sku: null,
          price: null,
        });
        reply.code(201).header('location', productLocation(1, product));
        return toV1(product);
      },
    );
  };
}
