import { ensureDatabase, type ServiceHost, type SqlClient } from '@outrig/db';
import type { Broker } from '../broker.ts';
import { type Consumer, createConsumer } from '../consumer/consumer.ts';
import type { ConsumerPolicy } from '../consumer/consumer-options.ts';
import { asyncApiDocument, type EventCatalog } from '../events/asyncapi.ts';
import { startInboxRetention } from '../inbox/inbox-retention.ts';
import { createOutbox, type Outbox } from '../outbox/outbox.ts';
import type { UnitOfWork } from '../outbox/unit-of-work.ts';
import { createOutboxRelay, type OutboxRelay } from '../relay/outbox-relay.ts';
import { resolveBroker } from '../resolve-broker.ts';
import { consumeDurationMetric, type MetricsHost, registerMessagingMetrics } from './messaging-metrics.ts';

export interface ConnectMessagingOptions {
  /** The service's database: outbox and inbox live there. */
  sql: SqlClient;
  /** Its URL: the relay LISTENs on it, and the default bus lives on the same server. */
  databaseUrl: string;
  /** `BUS_URL`; absent = `postgres` transport in the `outrig_bus` database of the same server. */
  busUrl?: string;
  /** Run the relay in this process (`OUTBOX_ENABLED`). Default true. */
  outboxEnabled?: boolean;
  /** Relay poll (ms) and attempts before parking (`OUTBOX_PROCESSING_INTERVAL`, `OUTBOX_MAX_RETRY`). */
  relay?: { pollIntervalMs?: number; maxAttempts?: number; leaseMs?: number };
  /**
   * Delete inbox rows handled longer ago than this (`INBOX_RETENTION_HOURS`); 0 keeps them
   * forever. Default 7 days. Must exceed the longest time an event can arrive again (see the
   * consumers guide, "Retention").
   */
  inboxRetentionMs?: number;
  /** Time between inbox cleanups. Default 1 hour. */
  inboxCleanupIntervalMs?: number;
  /** Defaults for every subscription of this service (group = service name unless set). */
  consumer?: ConsumerPolicy;
  /** The service's metrics registry, for outbox and consumer series on `/metrics`. */
  metrics?: MetricsHost;
  /**
   * The events this service publishes and consumes: served as an AsyncAPI 3.0 document at
   * `/asyncapi.json` (merged by the gateway; compared by `outrig contract check`).
   */
  events?: EventCatalog;
}

export interface ServiceMessaging {
  readonly broker: Broker;
  readonly outbox: Outbox;
  readonly relay: OutboxRelay | undefined;
  readonly consumer: Consumer;
  /** The resolved transport URL. */
  readonly busUrl: string;
  /** Runs `fn` in a transaction on the service database; events it publishes commit with it. */
  unitOfWork<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T>;
  /** Subscribes with the inbox, as consumer group = the service name by default. */
  subscribe: Consumer['subscribe'];
}

/**
 * Wires a service for events: the broker from `BUS_URL`, the outbox, a relay, and a consumer
 * with the inbox, each registered for readiness (`broker`), metrics and graceful shutdown
 * (consumers stop first, then the relay drains, then the broker closes).
 *
 * @example
 * const bus = await connectMessaging(service, { sql: db.sql, databaseUrl: db.url, busUrl: config.busUrl });
 * await bus.unitOfWork(async (uow) => {
 *   await uow.tx.query('insert into products …');
 *   uow.publish(ProductCreated, { subject: id, data: product });
 * });
 */
export async function connectMessaging(
  host: ServiceHost,
  options: ConnectMessagingOptions,
): Promise<ServiceMessaging> {
  const busUrl = options.busUrl ?? (await defaultBusUrl(options.databaseUrl));
  const broker = await resolveBroker(busUrl);
  host.onClose('broker', () => broker.close());
  host.readiness('broker', () => broker.ping());

  if (options.events) {
    const document = asyncApiDocument(host.name, options.events);
    host.describeEvents?.(() => document);
  }
  const outbox = createOutbox({ source: `/services/${host.name}` });
  let relay: OutboxRelay | undefined;
  if (options.outboxEnabled !== false) {
    relay = createOutboxRelay({
      sql: options.sql,
      broker,
      listen: options.databaseUrl,
      ...options.relay,
      onError: (err, during) => host.log.warn({ err, during }, 'outbox relay error (retrying)'),
    });
    await relay.start();
    const started = relay;
    host.onClose('outbox-relay', () => started.stop());
  }
  const consumer = createConsumer({
    sql: options.sql,
    broker,
    group: host.name,
    ...options.consumer,
    logger: host.log,
    ...(options.metrics ? { onOutcome: consumeDurationMetric(options.metrics) } : {}),
  });
  host.onClose('consumer', () => consumer.close());
  const retentionMs = options.inboxRetentionMs ?? INBOX_DEFAULTS.retentionMs;
  if (retentionMs > 0) {
    const retention = startInboxRetention(options.sql, {
      olderThanMs: retentionMs,
      intervalMs: options.inboxCleanupIntervalMs ?? INBOX_DEFAULTS.cleanupIntervalMs,
      log: host.log,
    });
    host.onClose('inbox-retention', () => retention.stop());
  }
  if (options.metrics) {
    const r = relay;
    registerMessagingMetrics(options.metrics, {
      relay: r ? () => r.stats() : undefined,
      consumer: () => consumer.stats(),
    });
  }
  return {
    broker,
    outbox,
    relay,
    consumer,
    busUrl,
    unitOfWork: (fn) => outbox.unitOfWork(options.sql, fn),
    subscribe: (topics, handler, policy) => consumer.subscribe(topics, handler, policy),
  };
}

/** Inbox retention defaults of `connectMessaging`. */
export const INBOX_DEFAULTS = {
  retentionMs: 7 * 24 * 3_600_000,
  cleanupIntervalMs: 3_600_000,
} as const;

/** The `outrig_bus` database on the server of `databaseUrl`, created if absent. */
async function defaultBusUrl(databaseUrl: string): Promise<string> {
  const { url } = await ensureDatabase(databaseUrl, 'outrig_bus');
  return url;
}
