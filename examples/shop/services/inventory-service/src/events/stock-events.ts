import { type Static, Type } from '@outrig/core';
import { defineEvent } from '@outrig/messaging';

/**
 * inventory-service's stock contract with the order saga (order-service): the commands it takes
 * on `stock.commands` and the replies it publishes on `stock.events`. Subject = the order id.
 * Replies carry `correlationid`/`causationid` of the command (`replyTo`).
 */
const Line = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  quantity: Type.Integer({ minimum: 1 }),
});
const Stock = Type.Object({
  orderId: Type.String({ minLength: 1 }),
  tenant: Type.String({ minLength: 1 }),
  items: Type.Array(Line),
});
const Rejected = Type.Object({ orderId: Type.String(), tenant: Type.String(), reason: Type.String() });

/** Take the order's quantities from stock, all or nothing (idempotent per order). */
export const ReserveStock = defineEvent({
  type: 'stock.reserve',
  aggregateType: 'stock-command',
  topic: 'stock.commands',
  schema: Stock,
  description: "Hold stock for an order's lines, all or nothing",
});
/** Give back what the order holds (idempotent; nothing held: nothing to do). */
export const ReleaseStock = defineEvent({
  type: 'stock.release',
  aggregateType: 'stock-command',
  topic: 'stock.commands',
  schema: Stock,
  description: 'Give back the stock held for an order',
});
export const StockReserved = defineEvent({
  type: 'stock.reserved',
  aggregateType: 'stock',
  topic: 'stock.events',
  schema: Stock,
  description: "The order's stock is held",
});
export const StockRejected = defineEvent({
  type: 'stock.rejected',
  aggregateType: 'stock',
  topic: 'stock.events',
  schema: Rejected,
  description: 'Not enough stock (or an unknown product): nothing was taken',
});
export const StockReleased = defineEvent({
  type: 'stock.released',
  aggregateType: 'stock',
  topic: 'stock.events',
  schema: Stock,
  description: 'The stock held for the order was given back',
});

export type StockCommand = Static<typeof Stock>;
