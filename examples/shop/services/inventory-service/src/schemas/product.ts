import { type Static, Type } from '@outrig/core';

/** The largest value of a PostgreSQL `integer` column (stock, price_amount). */
export const INTEGER_MAX = 2_147_483_647;

export const ProductId = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** v1: the original product shape. */
export const ProductV1 = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  stock: Type.Integer({ minimum: 0 }),
});
export const CreateProductV1 = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    stock: Type.Integer({ minimum: 0, maximum: INTEGER_MAX }),
  },
  { additionalProperties: false },
);

/** A price in minor units (cents) of an ISO 4217 currency. */
export const Price = Type.Object({
  amount: Type.Integer({ minimum: 0, maximum: INTEGER_MAX, description: 'Minor units, e.g. cents' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
});

/** v2: adds a SKU and a price. Products created through v1 have neither (null). */
export const ProductV2 = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  sku: Type.Union([Type.String(), Type.Null()]),
  stock: Type.Integer({ minimum: 0 }),
  price: Type.Union([Price, Type.Null()]),
});
export const CreateProductV2 = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    sku: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }),
    stock: Type.Integer({ minimum: 0, maximum: INTEGER_MAX }),
    price: Price,
  },
  { additionalProperties: false },
);

export type ProductV1 = Static<typeof ProductV1>;
export type ProductV2 = Static<typeof ProductV2>;

/**
 * A stock change: positive adds, negative takes; never zero. A change that would take the stock
 * above {@link INTEGER_MAX} is refused by the database (400 DB_VALUE_OUT_OF_RANGE).
 */
export const StockAdjustment = Type.Object(
  { delta: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, not: { const: 0 } }) },
  { additionalProperties: false },
);
