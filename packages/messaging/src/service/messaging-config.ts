import { bool, int, url } from '@outrig/core';

/**
 * Config keys for a service's messaging; spread them into `createService({ config })`.
 * Names from the old guides (`OUTBOX_ENABLED`, `OUTBOX_PROCESSING_INTERVAL`, `OUTBOX_MAX_RETRY`)
 * keep working; the interval is in milliseconds.
 */
export const messagingConfig = {
  busUrl: url({
    env: 'BUS_URL',
    doc: 'Event transport: memory:, postgres://…, nats://… (absent: the outrig_bus database on the service database server)',
    optional: true,
    schemes: ['memory', 'postgres', 'postgresql', 'nats'],
  }),
  outboxEnabled: bool({ env: 'OUTBOX_ENABLED', doc: 'Run the outbox relay in this process', default: true }),
  outboxProcessingIntervalMs: int({
    env: 'OUTBOX_PROCESSING_INTERVAL',
    doc: 'Relay safety-net poll in milliseconds (NOTIFY wakes it sooner)',
    default: 500,
    min: 50,
    max: 60_000,
  }),
  outboxMaxRetry: int({
    env: 'OUTBOX_MAX_RETRY',
    doc: 'Publish attempts before an outbox row is parked',
    default: 10,
    min: 1,
    max: 1000,
  }),
} as const;
