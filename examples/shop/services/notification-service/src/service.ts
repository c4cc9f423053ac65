import { type CreateServiceOptions, createService, type Service } from '@outrig/core';
import { connectDatabase } from '@outrig/db';
import { connectDiscovery, discoveryOptions } from '@outrig/discovery';
import { connectMessaging, messagingOptions } from '@outrig/messaging';
import { drizzle } from 'drizzle-orm/node-postgres';
import { config as serviceConfig } from './config.ts';
import { notificationMigrations } from './migrations.ts';
import { createNotificationRepository } from './repositories/notification-repository.ts';
import { notificationRoutesV1 } from './routes/v1.ts';

/** Topics this service turns into notifications. */
export const NOTIFIED_TOPICS = ['product.events'];

/**
 * notification-service: consumes events idempotently (inbox) and stores one notification per
 * event in its own database, in the event's tenant; lists them at `GET /api/v1/notifications`
 * to callers with a token (their tenant's only). Needs `JWT_JWKS_URL`, `JWT_ISSUER` and
 * `JWT_AUDIENCE` (README).
 */
export async function createNotificationService(
  options: Pick<CreateServiceOptions, 'env' | 'logStream'> = {},
): Promise<Service> {
  const service = createService({
    name: 'notification-service',
    port: 8006,
    description: 'Notifications for every event',
    config: serviceConfig,
    env: options.env,
    logStream: options.logStream,
  });
  const { config } = service;
  const db = await connectDatabase(service, {
    url: config.databaseUrl,
    home: config.outrigHome,
    migrations: await notificationMigrations(),
  });
  const bus = await connectMessaging(service, {
    ...messagingOptions(config, db),
    metrics: service.metrics,
    events: { consumes: NOTIFIED_TOPICS.map((topic) => ({ topic, description: 'Records a notification' })) },
  });
  const notifications = createNotificationRepository(drizzle({ client: db.pool }));
  await bus.subscribe(NOTIFIED_TOPICS, async (event, { tx }) => notifications.record(tx, event));
  service.version(1, notificationRoutesV1(notifications));
  // Registers once listening (REGISTRY_URL, default local:) so the gateway and clients find it.
  await connectDiscovery(service, discoveryOptions(config));
  return service;
}
