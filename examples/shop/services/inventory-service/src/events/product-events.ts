import { Type } from '@outrig/core';
import { defineEvent } from '@outrig/messaging';

/**
 * The product's tenant. Optional in the schema only because events written before tenants
 * existed lack it (consumers read those as tenant `default`); inventory-service always sets it.
 */
const Tenant = Type.Optional(
  Type.String({ minLength: 1, description: 'Tenant the product belongs to (absent: `default`)' }),
);

const ProductData = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenant: Tenant,
  name: Type.String(),
  sku: Type.Union([Type.String(), Type.Null()]),
  stock: Type.Integer({ minimum: 0 }),
  price: Type.Union([Type.Object({ amount: Type.Integer(), currency: Type.String() }), Type.Null()]),
});

/** A product was added to the catalogue. Topic `product.events`, key = product id. */
export const ProductCreated = defineEvent({
  type: 'product.created',
  aggregateType: 'product',
  schema: ProductData,
  description: 'A product was added to the catalogue',
});

/** Stock of a product changed by `delta`; `stock` is the new level. */
export const ProductStockAdjusted = defineEvent({
  type: 'product.stock_adjusted',
  aggregateType: 'product',
  schema: Type.Object({
    id: Type.String({ format: 'uuid' }),
    tenant: Tenant,
    delta: Type.Integer(),
    stock: Type.Integer({ minimum: 0 }),
  }),
  description: 'Stock of a product changed',
});
