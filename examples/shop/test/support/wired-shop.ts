import type { Service } from '@outrig/core';
import { createTestDatabase, type TestDatabase } from '@outrig/testing';
import { createInventoryService } from '../../services/inventory-service/src/service.ts';
import { createNotificationService } from '../../services/notification-service/src/service.ts';
import { startTestIssuer, type TestIssuer } from './tokens.ts';

/** inventory-service and notification-service, fully wired, listening on free ports. */
export interface WiredShop {
  readonly inventory: Service;
  readonly notification: Service;
  readonly inventoryUrl: string;
  readonly notificationUrl: string;
  /** Signs the tokens both services verify. */
  readonly issuer: TestIssuer;
  /** Stops both services, drops their databases, stops the issuer. */
  close(): Promise<void>;
}

/**
 * Starts the two services as they run in production, in this process: each on its own
 * database (createTestDatabase), the postgres bus on a third (or `busUrl`: the only variable
 * that changes to run the shop on another transport), tokens verified against a test issuer's
 * JWKS, the outbox relay polling every 100 ms. `notificationEnv` adds variables to
 * notification-service's environment once inventory-service's URL is known.
 */
export async function startWiredShop(
  prefix: string,
  options: { notificationEnv?: (inventoryUrl: string) => Record<string, string>; busUrl?: string } = {},
): Promise<WiredShop> {
  const dbs: TestDatabase[] = await Promise.all(
    ['inventory', 'notification', ...(options.busUrl ? [] : ['bus'])].map((p) =>
      createTestDatabase(`${prefix}_${p}`),
    ),
  );
  const [inventoryDb, notificationDb, bus] = dbs as [TestDatabase, TestDatabase, TestDatabase | undefined];
  const busUrl = options.busUrl ?? (bus as TestDatabase).url;
  const issuer = await startTestIssuer();
  const running: Service[] = [];
  const close = async () => {
    for (const service of running.reverse()) await service.stop();
    await Promise.all(dbs.map((db) => db.drop()));
    await issuer.close();
  };
  try {
    const env = (db: TestDatabase) => ({
      ...issuer.env,
      DATABASE_URL: db.url,
      BUS_URL: busUrl,
      SERVICE_PORT: '0',
      LOG_LEVEL: 'warn',
      OUTBOX_PROCESSING_INTERVAL: '100',
    });
    const inventory = await createInventoryService({ env: env(inventoryDb) });
    running.push(inventory);
    const inventoryUrl = await inventory.start({ signals: false });
    const notification = await createNotificationService({
      env: { ...env(notificationDb), ...options.notificationEnv?.(inventoryUrl) },
    });
    running.push(notification);
    const notificationUrl = await notification.start({ signals: false });
    return { inventory, notification, inventoryUrl, notificationUrl, issuer, close };
  } catch (err) {
    await close();
    throw err;
  }
}
