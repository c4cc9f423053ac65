import { type CreateServiceOptions, createService, type Service } from '@outrig/core';
import { connectDatabase, createPgClient, migrate } from '@outrig/db';
import { connectDiscovery, discoveryOptions } from '@outrig/discovery';
import { connectMessaging, messagingOptions } from '@outrig/messaging';
import {
  createProjectionRunner,
  createSagaRuntime,
  projectionMigrations,
  registerSagaAdminRoutes,
  registerSagaMetrics,
} from '@outrig/sagas';
import { inventoryCatalogue } from './catalogue.ts';
import { config as serviceConfig } from './config.ts';
import { OrderErrors } from './errors.ts';
import {
  AcceptOrder,
  ConfirmOrder,
  OrderAccepted,
  OrderConfirmed,
  OrderPlaced,
  OrderRejected,
  RejectOrder,
} from './events/order-events.ts';
import { orderMigrations } from './migrations.ts';
import { createOrderCommands } from './order-commands.ts';
import { listOrderOverview, OrderOverview, type OrderSummary } from './order-overview.ts';
import { createOrders } from './orders.ts';
import { orderRoutesV1 } from './routes/v1.ts';
import {
  ChargePayment,
  PaymentCharged,
  PaymentDeclined,
  PaymentRefunded,
  RefundPayment,
  ReleaseStock,
  ReserveStock,
  StockRejected,
  StockReleased,
  StockReserved,
} from './saga/participants.ts';

/**
 * What order-service sends and handles: the order's events, the saga's commands to itself and
 * its participants, and their replies (its AsyncAPI document; `outrig contract check`).
 */
const ORDER_EVENTS = {
  publishes: [
    OrderPlaced,
    OrderAccepted,
    OrderConfirmed,
    OrderRejected,
    AcceptOrder,
    ConfirmOrder,
    RejectOrder,
    ReserveStock,
    ReleaseStock,
    ChargePayment,
    RefundPayment,
  ],
  consumes: [
    OrderPlaced,
    AcceptOrder,
    ConfirmOrder,
    RejectOrder,
    OrderAccepted,
    OrderConfirmed,
    OrderRejected,
    StockReserved,
    StockRejected,
    StockReleased,
    PaymentCharged,
    PaymentDeclined,
    PaymentRefunded,
  ],
};

import { orderSaga } from './saga/order-saga.ts';

/**
 * order-service: places orders (prices from inventory-service) and runs the order saga
 * (`@outrig/sagas`) that reserves stock in inventory-service, charges in payment-service and
 * confirms the order — or compensates and rejects it. Orders, saga instances, history and timers
 * live in its own database; the order list is a read model (`order_overview`, a projection) on
 * the postgres transport's database, beside the log it reads. Needs `JWT_JWKS_URL`,
 * `JWT_ISSUER` and `JWT_AUDIENCE` (README).
 */
export async function createOrderService(
  options: Pick<CreateServiceOptions, 'env' | 'logStream'> = {},
): Promise<Service> {
  const service = createService({
    name: 'order-service',
    port: 8003,
    description: 'Orders, run by a saga across inventory and payments',
    config: serviceConfig,
    env: options.env,
    logStream: options.logStream,
  });
  const { config } = service;
  const db = await connectDatabase(service, {
    url: config.databaseUrl,
    home: config.outrigHome,
    migrations: await orderMigrations(),
  });
  const bus = await connectMessaging(service, {
    ...messagingOptions(config, db),
    metrics: service.metrics,
    events: ORDER_EVENTS, // → /asyncapi.json
  });

  // Prices and names come from the catalogue of the caller's tenant (a public read).
  const catalogue = inventoryCatalogue(service);
  const orders = createOrders(db.sql, bus.outbox, catalogue);

  // The saga's own commands to this service (accept, confirm, reject), through the inbox.
  await bus.subscribe([AcceptOrder.topic], createOrderCommands(bus.outbox));
  const sagas = createSagaRuntime({
    sql: db.sql,
    broker: bus.broker,
    source: '/services/order-service',
    sagas: [
      orderSaga({ paymentTimeoutMs: config.orderPaymentTimeoutMs, stepTimeoutMs: config.orderStepTimeoutMs }),
    ],
    onError: (err, where) => service.log.warn({ err, where }, 'order saga error (retrying)'),
    ...(config.orderSagaRetentionHours > 0
      ? { retention: { finishedOlderThanMs: config.orderSagaRetentionHours * 3_600_000 } }
      : {}),
  });
  await sagas.start();
  // Stops before the consumers, the relay and the broker (close hooks run last-registered first).
  service.onClose('sagas', () => sagas.stop());
  registerSagaAdminRoutes(service, { runtime: sagas });

  // The read model reads the postgres transport's log, so it lives in the bus database.
  const projections = [];
  let list = (_tenant: string, _customer: string, _limit: number): Promise<OrderSummary[]> =>
    Promise.reject(
      OrderErrors.ORDER_READ_MODEL_UNAVAILABLE({ params: { transport: new URL(bus.busUrl).protocol } }),
    );
  if (/^postgres(ql)?:/.test(bus.busUrl)) {
    const busSql = createPgClient({ url: bus.busUrl, max: 4 });
    service.onClose('bus database', () => busSql.close());
    await migrate(busSql, [projectionMigrations]);
    const runner = createProjectionRunner({
      sql: busSql,
      projection: OrderOverview,
      pollMs: 100,
      onError: (err) => service.log.warn({ err }, 'order_overview projection error (retrying)'),
    });
    await runner.start();
    service.onClose('order_overview projection', () => runner.stop());
    projections.push({ name: OrderOverview.name, runner });
    list = (tenant, customer, limit) => listOrderOverview(busSql, tenant, customer, limit);
  } else {
    service.log.warn(
      { busUrl: bus.busUrl },
      'no postgres transport: GET /api/v1/orders answers 503 ORDER_READ_MODEL_UNAVAILABLE',
    );
  }
  registerSagaMetrics(service.metrics, { sql: db.sql, runtime: sagas, projections });

  service.version(1, orderRoutesV1(orders, list));
  // Registers once listening (REGISTRY_URL, default local:) so the gateway finds it.
  await connectDiscovery(service, discoveryOptions(config));
  return service;
}
