import { bool, int } from '@outrig/core';
import { databaseConfig } from '@outrig/db';
import { discoveryConfig } from '@outrig/discovery';
import { messagingConfig } from '@outrig/messaging';

/**
 * payment-service's config schema on top of the kit's core keys: what `createService({ config })`
 * gets, and what `outrig doctor` validates without starting the service.
 */
export const config = {
  ...databaseConfig,
  ...messagingConfig,
  ...discoveryConfig,
  paymentDeclineAbove: int({
    env: 'PAYMENT_DECLINE_ABOVE',
    doc: 'The fake provider declines a charge whose amount (minor units) is above this',
    default: 50_000,
    min: 0,
    max: 2_147_483_647,
  }),
  paymentProviderSilent: bool({
    env: 'PAYMENT_PROVIDER_SILENT',
    doc: 'Start with the fake provider not answering charges (tests; PUT /api/v1/payments/provider switches it)',
    default: false,
  }),
};
