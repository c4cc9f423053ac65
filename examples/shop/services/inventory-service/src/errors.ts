import { defineErrors } from '@outrig/core';

/** inventory-service's error codes (listed in docs/errors.md). */
export const InventoryErrors = defineErrors({
  PRODUCT_NOT_FOUND: { status: 404, message: 'Product {id} not found' },
  SKU_TAKEN: { status: 409, message: 'SKU {sku} is already used by another product' },
  CURRENCY_UNKNOWN: { status: 400, message: '{currency} is not an ISO 4217 currency code' },
  STOCK_INSUFFICIENT: { status: 409, message: 'Stock of product {id} would go below zero' },
});
