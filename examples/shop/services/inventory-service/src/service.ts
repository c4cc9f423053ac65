import {
  type ConfigValues,
  type CoreConfig,
  type CreateServiceOptions,
  createService,
  type Service,
} from '@outrig/core';
import { connectDatabase, type databaseConfig } from '@outrig/db';
import { connectDiscovery, discoveryOptions } from '@outrig/discovery';
import { connectMessaging, type messagingConfig, messagingOptions } from '@outrig/messaging';
import { drizzle } from 'drizzle-orm/node-postgres';
import { config as serviceConfig } from './config.ts';
import { ProductCreated, ProductStockAdjusted } from './events/product-events.ts';
import {
  ReleaseStock,
  ReserveStock,
  StockRejected,
  StockReleased,
  StockReserved,
} from './events/stock-events.ts';
import { inventoryMigrations } from './migrations.ts';
import { Products } from './products.ts';
import { createPostgresProductRepository } from './repositories/postgres-product-repository.ts';
import type { ProductRepository } from './repositories/product-repository.ts';
import { productRoutesV1 } from './routes/v1.ts';
import { productRoutesV2 } from './routes/v2.ts';
import { createStockCommands } from './stock-commands.ts';

export interface InventoryServiceOptions extends Pick<CreateServiceOptions, 'env' | 'logStream'> {
  /** Use this storage instead of the database (HTTP contract tests). */
  repository?: ProductRepository;
}

/**
 * inventory-service: products with stock, in its own database; every change publishes a
 * `product.*` event through the outbox. v1 is deprecated in favour of v2. Products belong to a
 * tenant: reads are public (per tenant), writes need the `admin` role, so the service verifies
 * tokens and needs `JWT_JWKS_URL`, `JWT_ISSUER` and `JWT_AUDIENCE` (README). It holds stock for
 * the order saga: `stock.reserve` / `stock.release` commands through its inbox (stock-commands.ts).
 */
export async function createInventoryService(options: InventoryServiceOptions = {}): Promise<Service> {
  const service = createService({
    name: 'inventory-service',
    port: 8004,
    description: 'Products and stock',
    config: serviceConfig,
    env: options.env,
    logStream: options.logStream,
  });
  const repository = options.repository ?? (await connectStorage(service));
  const products = new Products(repository);
  service.version(1, productRoutesV1(products), { deprecated: '2026-09-01', sunset: '2027-03-01' });
  service.version(2, productRoutesV2(products));
  // Registers once listening (REGISTRY_URL, default local:) so the gateway and clients find it.
  await connectDiscovery(service, discoveryOptions(service.config));
  return service;
}

type InventoryConfig = CoreConfig & ConfigValues<typeof databaseConfig & typeof messagingConfig>;

async function connectStorage(service: Service<InventoryConfig>): Promise<ProductRepository> {
  const { config } = service;
  const db = await connectDatabase(service, {
    url: config.databaseUrl,
    home: config.outrigHome,
    migrations: await inventoryMigrations(),
  });
  const bus = await connectMessaging(service, {
    ...messagingOptions(config, db),
    metrics: service.metrics,
    // → /asyncapi.json
    events: {
      publishes: [ProductCreated, ProductStockAdjusted, StockReserved, StockRejected, StockReleased],
      consumes: [ReserveStock, ReleaseStock, { topic: 'order.events', description: 'Sells held stock' }],
    },
  });
  // The order saga's stock commands (reserve, release) and the confirmations that sell held stock.
  await bus.subscribe([ReserveStock.topic, 'order.events'], createStockCommands(bus.outbox));
  return createPostgresProductRepository(drizzle({ client: db.pool }), bus.outbox);
}
