import { type Static, Type } from '@outrig/core';
import { defineEvent } from '@outrig/messaging';

/** A line of an order as events carry it: the product's name and unit price when it was placed. */
const Line = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPrice: Type.Integer({ minimum: 0, description: 'Minor units' }),
});

const Placed = Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  tenant: Type.String(),
  customerId: Type.String(),
  items: Type.Array(Line),
  total: Type.Integer({ minimum: 0 }),
  currency: Type.String(),
});
const OrderRef = Type.Object({ orderId: Type.String(), tenant: Type.String() });
const Rejection = Type.Object({ ...OrderRef.properties, reason: Type.String() });

/** An order was placed (topic `order.events`, subject = order id): starts the order saga. */
export const OrderPlaced = defineEvent({
  type: 'order.placed',
  aggregateType: 'order',
  schema: Placed,
  description: 'An order was placed; its saga starts',
});
/** The order is confirmed: stock held and payment taken. inventory-service sells the held stock. */
export const OrderConfirmed = defineEvent({
  type: 'order.confirmed',
  aggregateType: 'order',
  schema: OrderRef,
  description: 'The order is confirmed',
});
/** The order is rejected (after its stock was released and its payment refunded). */
export const OrderRejected = defineEvent({
  type: 'order.rejected',
  aggregateType: 'order',
  schema: Rejection,
  description: 'The order is rejected, with the reason',
});
/** The saga's first step: order-service acknowledges the order is still pending. */
export const OrderAccepted = defineEvent({
  type: 'order.accepted',
  aggregateType: 'order',
  schema: OrderRef,
  description: 'order-service took the order into its saga',
});

const command = (type: string, schema: typeof OrderRef | typeof Rejection, description: string) =>
  defineEvent({ type, aggregateType: 'order-command', topic: 'order.commands', schema, description });
/** Saga → order-service: take the order in (step 1; its compensation rejects the order). */
export const AcceptOrder = command('order.accept', OrderRef, 'Take the order into its saga');
/** Saga → order-service: the last step. */
export const ConfirmOrder = command('order.confirm', OrderRef, 'Mark the order confirmed');
/** Saga → order-service: the compensation of the first step, so it runs last. */
export const RejectOrder = command('order.reject', Rejection, 'Mark the order rejected');

export type OrderPlacedData = Static<typeof Placed>;
export type OrderLine = Static<typeof Line>;
