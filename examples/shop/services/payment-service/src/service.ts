import { type CreateServiceOptions, createService, type Service } from '@outrig/core';
import { connectDatabase } from '@outrig/db';
import { connectDiscovery, discoveryOptions } from '@outrig/discovery';
import { connectMessaging, messagingOptions } from '@outrig/messaging';
import { config as serviceConfig } from './config.ts';
import {
  ChargePayment,
  PaymentCharged,
  PaymentDeclined,
  PaymentRefunded,
  RefundPayment,
} from './events/payment-events.ts';
import { paymentMigrations } from './migrations.ts';
import { createPaymentCommands } from './payments.ts';
import { FakeProvider } from './provider.ts';
import { paymentRoutesV1 } from './routes/v1.ts';

/**
 * payment-service: takes `payment.charge` and `payment.refund` commands from the order saga
 * (through its inbox), asks a fake provider (declines above `PAYMENT_DECLINE_ABOVE`; can be told
 * to stop answering), stores one payment per order in its own database and replies on
 * `payment.events` through its outbox. Needs `JWT_JWKS_URL`, `JWT_ISSUER` and `JWT_AUDIENCE`
 * (README).
 */
export async function createPaymentService(
  options: Pick<CreateServiceOptions, 'env' | 'logStream'> = {},
): Promise<Service> {
  const service = createService({
    name: 'payment-service',
    port: 8005,
    description: 'Payments of orders (a fake provider)',
    config: serviceConfig,
    env: options.env,
    logStream: options.logStream,
  });
  const { config } = service;
  const db = await connectDatabase(service, {
    url: config.databaseUrl,
    home: config.outrigHome,
    migrations: await paymentMigrations(),
  });
  const bus = await connectMessaging(service, {
    ...messagingOptions(config, db),
    metrics: service.metrics,
    // → /asyncapi.json
    events: {
      publishes: [PaymentCharged, PaymentDeclined, PaymentRefunded],
      consumes: [ChargePayment, RefundPayment],
    },
  });
  const provider = new FakeProvider({
    declineAbove: config.paymentDeclineAbove,
    answering: !config.paymentProviderSilent,
  });
  await bus.subscribe([ChargePayment.topic], createPaymentCommands(bus.outbox, provider));
  service.version(1, paymentRoutesV1(db.sql, provider));
  // Registers once listening (REGISTRY_URL, default local:) so the gateway and the saga find it.
  await connectDiscovery(service, discoveryOptions(config));
  return service;
}
