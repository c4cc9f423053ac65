import type { SqlTransaction } from '@outrig/db';
import type { CloudEvent, Outbox, OutboxEntry } from '@outrig/messaging';
import { replyTo } from '@outrig/sagas';
import { ProductStockAdjusted } from './events/product-events.ts';
import {
  ReleaseStock,
  ReserveStock,
  type StockCommand,
  StockRejected,
  StockReleased,
  StockReserved,
} from './events/stock-events.ts';

/** `order.confirmed` (order-service, topic `order.events`): the held stock is sold. */
export const ORDER_CONFIRMED = 'order.confirmed';

type Reservation = { status: 'held' | 'sold' | 'released' | 'rejected'; reason: string | null };

/**
 * The stock side of the order saga, run in the consumer's transaction: the inbox row, the stock
 * changes, the reservation and the reply (outbox) commit together, so a redelivered command is
 * dropped; each effect is idempotent per order too (a second attempt of the saga has a new
 * command id). Stock never goes below zero: a reservation takes all its lines or none, under the
 * products' row locks.
 */
export function createStockCommands(outbox: Outbox) {
  const send = (tx: SqlTransaction, entries: OutboxEntry[]) => outbox.write(tx, entries);
  const reply = (
    command: CloudEvent,
    definition: typeof StockReserved | typeof StockReleased,
    c: StockCommand,
  ) => ({
    event: outbox.event(definition, { subject: c.orderId, data: c, ...replyTo(command) }),
    topic: definition.topic,
  });
  const rejected = (command: CloudEvent, c: StockCommand, reason: string) => ({
    event: outbox.event(StockRejected, {
      subject: c.orderId,
      data: { orderId: c.orderId, tenant: c.tenant, reason },
      ...replyTo(command),
    }),
    topic: StockRejected.topic,
  });
  const adjusted = (tenant: string, id: string, delta: number, stock: number) => ({
    event: outbox.event(ProductStockAdjusted, { subject: id, data: { id, tenant, delta, stock } }),
    topic: ProductStockAdjusted.topic,
  });

  const lockReservation = async (tx: SqlTransaction, orderId: string) => {
    // The order's first reservation and a concurrent one serialise here (the row may not exist yet).
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`stock-reservation:${orderId}`]);
    const res = await tx.query<Reservation>(
      'SELECT status, reason FROM stock_reservations WHERE order_id = $1 FOR UPDATE',
      [orderId],
    );
    return res.rows[0];
  };

  const reserve = async (tx: SqlTransaction, command: CloudEvent, c: StockCommand) => {
    const existing = await lockReservation(tx, c.orderId);
    if (existing) {
      // A new attempt of the saga: the first outcome stands.
      if (existing.status === 'held' || existing.status === 'sold') {
        await send(tx, [reply(command, StockReserved, c)]);
      } else {
        await send(tx, [rejected(command, c, existing.reason ?? `the order's stock was ${existing.status}`)]);
      }
      return;
    }
    const wanted = new Map<string, number>();
    for (const line of c.items) wanted.set(line.productId, (wanted.get(line.productId) ?? 0) + line.quantity);
    const ids = [...wanted.keys()].sort();
    const products = await tx.query<{ id: string; stock: number }>(
      'SELECT id::text AS id, stock FROM products WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE',
      [c.tenant, ids],
    );
    const stock = new Map(products.rows.map((p) => [p.id, p.stock]));
    let reason: string | undefined;
    for (const id of ids) {
      const have = stock.get(id);
      if (have === undefined) reason = `product ${id} not found`;
      else if (have < (wanted.get(id) ?? 0)) reason = `not enough stock of product ${id} (${have} left)`;
      if (reason) break;
    }
    if (reason) {
      await tx.query(
        `INSERT INTO stock_reservations (order_id, tenant_id, status, reason) VALUES ($1, $2, 'rejected', $3)`,
        [c.orderId, c.tenant, reason],
      );
      await send(tx, [rejected(command, c, reason)]);
      return;
    }
    await tx.query(`INSERT INTO stock_reservations (order_id, tenant_id, status) VALUES ($1, $2, 'held')`, [
      c.orderId,
      c.tenant,
    ]);
    const events = [];
    for (const id of ids) {
      const quantity = wanted.get(id) ?? 0;
      const left = await tx.query<{ stock: number }>(
        'UPDATE products SET stock = stock - $3 WHERE tenant_id = $1 AND id = $2 AND stock >= $3 RETURNING stock',
        [c.tenant, id, quantity],
      );
      // Checked under the row lock above; a miss here would be a bug: roll everything back.
      if (left.rowCount !== 1) throw new Error(`stock of ${id} changed under its lock`);
      await tx.query(
        'INSERT INTO stock_reservation_lines (order_id, product_id, quantity) VALUES ($1, $2, $3)',
        [c.orderId, id, quantity],
      );
      events.push(adjusted(c.tenant, id, -quantity, left.rows[0]!.stock));
    }
    await send(tx, [...events, reply(command, StockReserved, c)]);
  };

  const release = async (tx: SqlTransaction, command: CloudEvent, c: StockCommand) => {
    const existing = await lockReservation(tx, c.orderId);
    const events = [];
    if (!existing) {
      // Released before any reservation (the reserve timed out and never arrived): a tombstone
      // makes a late reserve of this order a rejection instead of a leak.
      await tx.query(
        `INSERT INTO stock_reservations (order_id, tenant_id, status, reason) VALUES ($1, $2, 'released', 'released before it was reserved')`,
        [c.orderId, c.tenant],
      );
    } else if (existing.status === 'held') {
      const lines = await tx.query<{ product_id: string; quantity: number }>(
        'SELECT product_id::text AS product_id, quantity FROM stock_reservation_lines WHERE order_id = $1 ORDER BY product_id',
        [c.orderId],
      );
      for (const line of lines.rows) {
        const back = await tx.query<{ stock: number }>(
          'UPDATE products SET stock = stock + $3 WHERE tenant_id = $1 AND id = $2 RETURNING stock',
          [c.tenant, line.product_id, line.quantity],
        );
        if (back.rows[0]) events.push(adjusted(c.tenant, line.product_id, line.quantity, back.rows[0].stock));
      }
      await tx.query(
        `UPDATE stock_reservations SET status = 'released', updated_at = now() WHERE order_id = $1`,
        [c.orderId],
      );
    }
    // held → released above; released, rejected: nothing held; sold: a confirmed order is never compensated.
    await send(tx, [...events, reply(command, StockReleased, c)]);
  };

  return async (event: CloudEvent, { tx }: { tx: SqlTransaction }) => {
    if (event.type === ReserveStock.type) await reserve(tx, event, event.data as StockCommand);
    else if (event.type === ReleaseStock.type) await release(tx, event, event.data as StockCommand);
    else if (event.type === ORDER_CONFIRMED) {
      await tx.query(
        `UPDATE stock_reservations SET status = 'sold', updated_at = now() WHERE order_id = $1 AND status = 'held'`,
        [String(event.subject)],
      );
    }
  };
}
