import { bool, int, url } from '@outrig/core';
import type { SqlClient } from '@outrig/db';
import type { ConnectMessagingOptions } from './connect-messaging.ts';

/**
 * Config keys for a service's messaging; spread them into `createService({ config })`.
 * Names from the old guides (`OUTBOX_ENABLED`, `OUTBOX_PROCESSING_INTERVAL`, `OUTBOX_MAX_RETRY`)
 * keep working; the interval is in milliseconds.
 */
export const messagingConfig = {
  busUrl: url({
    env: 'BUS_URL',
    doc: 'Event transport: memory:, postgres://…, nats://…[,…], kafka://host:port[,host:port], amqp://…, redis://… (absent: the outrig_bus database on the service database server)',
    optional: true,
    schemes: ['memory', 'postgres', 'postgresql', 'nats', 'kafka', 'amqp', 'amqps', 'redis', 'rediss'],
    hostList: true,
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
  inboxRetentionHours: int({
    env: 'INBOX_RETENTION_HOURS',
    doc: 'Delete inbox rows handled longer ago than this many hours (0: keep forever); must exceed the longest time an event can arrive again',
    default: 168,
    min: 0,
    max: 87_600,
  }),
} as const;

/**
 * The `connectMessaging` options for a service whose config includes `messagingConfig`, on the
 * database `connectDatabase` gave it: `BUS_URL`, `OUTBOX_ENABLED`, `OUTBOX_PROCESSING_INTERVAL`,
 * `OUTBOX_MAX_RETRY` and `INBOX_RETENTION_HOURS`, so that none is accepted and then forgotten.
 *
 * @example
 * const db = await connectDatabase(service, { url: config.databaseUrl, migrations });
 * const bus = await connectMessaging(service, { ...messagingOptions(service.config, db), metrics: service.metrics });
 */
export function messagingOptions(
  config: {
    busUrl?: string | undefined;
    outboxEnabled: boolean;
    outboxProcessingIntervalMs: number;
    outboxMaxRetry: number;
    inboxRetentionHours?: number;
  },
  db: { sql: SqlClient; url: string },
): Pick<
  ConnectMessagingOptions,
  'sql' | 'databaseUrl' | 'busUrl' | 'outboxEnabled' | 'relay' | 'inboxRetentionMs'
> {
  return {
    sql: db.sql,
    databaseUrl: db.url,
    ...(config.busUrl === undefined ? {} : { busUrl: config.busUrl }),
    outboxEnabled: config.outboxEnabled,
    relay: { pollIntervalMs: config.outboxProcessingIntervalMs, maxAttempts: config.outboxMaxRetry },
    ...(config.inboxRetentionHours === undefined
      ? {}
      : { inboxRetentionMs: config.inboxRetentionHours * 3_600_000 }),
  };
}
