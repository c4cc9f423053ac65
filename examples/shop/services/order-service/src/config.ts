import { int } from '@outrig/core';
import { databaseConfig } from '@outrig/db';
import { discoveryConfig } from '@outrig/discovery';
import { messagingConfig } from '@outrig/messaging';

/**
 * order-service's config schema on top of the kit's core keys: what `createService({ config })`
 * gets, and what `outrig doctor` validates without starting the service.
 */
export const config = {
  ...databaseConfig,
  ...messagingConfig,
  ...discoveryConfig,
  orderPaymentTimeoutMs: int({
    env: 'ORDER_PAYMENT_TIMEOUT_MS',
    doc: 'How long the order saga waits for the payment before it rejects the order (ms)',
    default: 30_000,
    min: 100,
    max: 86_400_000,
  }),
  orderStepTimeoutMs: int({
    env: 'ORDER_STEP_TIMEOUT_MS',
    doc: "Timeout of the order saga's other steps and of its compensations (ms)",
    default: 30_000,
    min: 100,
    max: 86_400_000,
  }),
  orderSagaRetentionHours: int({
    env: 'ORDER_SAGA_RETENTION_HOURS',
    doc: 'Delete finished order sagas (their history too) this many hours after they ended; 0 keeps them. Must exceed INBOX_RETENTION_HOURS',
    default: 0,
    min: 0,
    max: 87_600,
  }),
};
