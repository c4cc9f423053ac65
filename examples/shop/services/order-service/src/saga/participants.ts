import { Type } from '@outrig/core';
import { defineEvent } from '@outrig/messaging';

// The contracts of the saga's participants as order-service sends and reads them: the event
// types and topics are the contract (inventory-service src/events/stock-events.ts,
// payment-service src/events/payment-events.ts). Services share the contract, not code: each
// side declares it, and the e2e tests check both sides agree.

const StockLines = Type.Object({
  orderId: Type.String(),
  tenant: Type.String(),
  items: Type.Array(Type.Object({ productId: Type.String(), quantity: Type.Integer({ minimum: 1 }) })),
});
const Reason = Type.Object({ orderId: Type.String(), tenant: Type.String(), reason: Type.String() });
const stock = (type: string, topic: string, schema: typeof StockLines | typeof Reason) =>
  defineEvent({ type, aggregateType: topic === 'stock.commands' ? 'stock-command' : 'stock', topic, schema });

export const ReserveStock = stock('stock.reserve', 'stock.commands', StockLines);
export const ReleaseStock = stock('stock.release', 'stock.commands', StockLines);
export const StockReserved = stock('stock.reserved', 'stock.events', StockLines);
export const StockRejected = stock('stock.rejected', 'stock.events', Reason);
export const StockReleased = stock('stock.released', 'stock.events', StockLines);

const Payment = Type.Object({
  orderId: Type.String(),
  tenant: Type.String(),
  amount: Type.Integer({ minimum: 0 }),
  currency: Type.String(),
});
const Declined = Type.Object({ ...Payment.properties, reason: Type.String() });
const payment = (type: string, topic: string, schema: typeof Payment | typeof Declined) =>
  defineEvent({
    type,
    aggregateType: topic === 'payment.commands' ? 'payment-command' : 'payment',
    topic,
    schema,
  });

export const ChargePayment = payment('payment.charge', 'payment.commands', Payment);
export const RefundPayment = payment('payment.refund', 'payment.commands', Payment);
export const PaymentCharged = payment('payment.charged', 'payment.events', Payment);
export const PaymentDeclined = payment('payment.declined', 'payment.events', Declined);
export const PaymentRefunded = payment('payment.refunded', 'payment.events', Payment);
