import { errorResponse, type ServiceApp, Type } from '@outrig/core';
import type { Products } from '../products.ts';
import type { Product } from '../repositories/product-repository.ts';
import {
  CreateProductV2,
  ProductId,
  ProductV2,
  type ProductV2 as ProductV2Type,
  StockAdjustment,
} from '../schemas/product.ts';
import { CatalogueQuery, catalogueTenant, writeTenant } from '../tenants.ts';
import { adminWrite, productLocation, publicRead } from './access.ts';

const toV2 = (p: Product): ProductV2Type => ({
  id: p.id,
  name: p.name,
  sku: p.sku,
  stock: p.stock,
  price: p.price,
});

/** API v2 (current): products with SKU and price in minor units. Public reads, admin writes, per tenant. */
export function productRoutesV2(products: Products) {
  return (api: ServiceApp) => {
    api.get(
      '/products',
      {
        config: publicRead(),
        schema: {
          summary: "List a tenant's products",
          querystring: CatalogueQuery,
          response: { 200: Type.Array(ProductV2) },
        },
      },
      async (request) => (await products.list(catalogueTenant(request))).map(toV2),
    );
    api.get(
      '/products/:id',
      {
        config: publicRead(),
        schema: {
          summary: 'Get a product of a tenant',
          params: ProductId,
          querystring: CatalogueQuery,
          response: { 200: ProductV2 },
        },
      },
      async (request) => toV2(await products.get(catalogueTenant(request), request.params.id)),
    );
    api.post(
      '/products',
      {
        config: adminWrite(),
        schema: {
          summary: 'Create a product (admin)',
          body: CreateProductV2,
          response: {
            201: ProductV2,
            409: errorResponse('SKU_TAKEN: another product of the tenant has this SKU'),
          },
        },
      },
      async (request, reply) => {
        const product = await products.create(writeTenant(request), request.body);
        reply.code(201).header('location', productLocation(2, product));
        return toV2(product);
      },
    );
    api.post(
      '/products/:id/stock-adjustments',
      {
        config: adminWrite(),
        schema: {
          summary: 'Add to (or take from) stock (admin)',
          params: ProductId,
          body: StockAdjustment,
          response: {
            200: ProductV2,
            409: errorResponse('STOCK_INSUFFICIENT: the stock would go below zero'),
          },
        },
      },
      async (request) =>
        toV2(await products.adjustStock(writeTenant(request), request.params.id, request.body.delta)),
    );
  };
}
