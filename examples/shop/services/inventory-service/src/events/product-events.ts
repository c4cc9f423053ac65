import { Type } from '@outrig/core';
import { defineEvent } from '@outrig/messaging';

const ProductData = Type.Object({
  id: Type.String({ format: 'uuid' }),
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
    delta: Type.Integer(),
    stock: Type.Integer({ minimum: 0 }),
  }),
  description: 'Stock of a product changed',
});
