import { defineErrors } from '@outrig/core';

/** order-service's error codes (listed in docs/errors.md). */
export const OrderErrors = defineErrors({
  ORDER_NOT_FOUND: { status: 404, message: 'Order {id} not found' },
  ORDER_ITEMS_INVALID: { status: 422, message: 'The order cannot be placed: {reason}' },
  ORDER_READ_MODEL_UNAVAILABLE: {
    status: 503,
    message: 'The order list is a read model over the postgres transport; this service runs on {transport}',
  },
});
