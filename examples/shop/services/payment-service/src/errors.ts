import { defineErrors } from '@outrig/core';

/** payment-service's error codes (listed in docs/errors.md). */
export const PaymentErrors = defineErrors({
  PAYMENT_NOT_FOUND: { status: 404, message: 'No payment for order {orderId}' },
});
