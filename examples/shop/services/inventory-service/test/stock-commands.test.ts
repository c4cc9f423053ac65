import { randomUUID } from 'node:crypto';
import { migrate } from '@outrig/db';
import { type CloudEvent, createEvent, createOutbox } from '@outrig/messaging';
import { commandId } from '@outrig/sagas';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseStock, ReserveStock } from '../src/events/stock-events.ts';
import { inventoryMigrations } from '../src/migrations.ts';
import { createStockCommands } from '../src/stock-commands.ts';

// The stock side of the order saga on real PostgreSQL: all-or-nothing reservations, never below
// zero under concurrency, idempotent per order across the saga's attempts (each a new command
// id, which the inbox does not catch), a release before its reservation leaving a tombstone.

const hasPg = await serverAvailable('postgres');
const TENANT = 'acme';

describe.skipIf(!hasPg)('inventory-service: stock.reserve / stock.release', () => {
  let db: TestDatabase;
  const outbox = createOutbox({ source: '/services/inventory-service' });
  const handler = createStockCommands(outbox);

  beforeAll(async () => {
    db = await createTestDatabase('inventory_stock');
    await migrate(db.sql, await inventoryMigrations());
  });
  afterAll(async () => {
    await db?.drop();
  });

  const product = async (stock: number, tenant = TENANT) => {
    const id = randomUUID();
    await db.sql.query('INSERT INTO products (id, tenant_id, name, stock) VALUES ($1, $2, $3, $4)', [
      id,
      tenant,
      `P ${stock}`,
      stock,
    ]);
    return id;
  };
  const stockOf = async (id: string) =>
    (await db.sql.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [id])).rows[0]!.stock;
  /** Sends one command as the saga would (attempt n of the step), returns the reply's type and data. */
  const send = async (
    def: typeof ReserveStock,
    orderId: string,
    items: { productId: string; quantity: number }[],
    attempt = 1,
  ) => {
    const saga = randomUUID();
    const command: CloudEvent = createEvent(def, {
      id: commandId(saga, 1, def === ReserveStock ? 'do' : 'undo', attempt),
      subject: orderId,
      data: { orderId, tenant: TENANT, items },
      source: '/services/order-service',
      correlationId: saga,
    });
    await db.sql.transaction((tx) => handler(command, { tx }));
    const reply = await db.sql.query<{ type: string; data: { reason?: string } }>(
      `SELECT event->>'type' AS type, event->'data' AS data FROM outbox WHERE event->>'causationid' = $1`,
      [command.id],
    );
    expect(reply.rowCount).toBe(1);
    return reply.rows[0]!;
  };
  const reservation = async (orderId: string) =>
    (
      await db.sql.query<{ status: string }>('SELECT status FROM stock_reservations WHERE order_id = $1', [
        orderId,
      ])
    ).rows[0]?.status;

  it('reserves all lines or none, and a second attempt of the same order takes nothing more', async () => {
    const a = await product(5);
    const b = await product(1);
    const order = randomUUID();
    expect(
      (
        await send(ReserveStock, order, [
          { productId: a, quantity: 2 },
          { productId: b, quantity: 1 },
        ])
      ).type,
    ).toBe('stock.reserved');
    expect([await stockOf(a), await stockOf(b)]).toEqual([3, 0]);
    // The saga timed out and sent attempt 2: same outcome, no second effect.
    expect(
      (
        await send(
          ReserveStock,
          order,
          [
            { productId: a, quantity: 2 },
            { productId: b, quantity: 1 },
          ],
          2,
        )
      ).type,
    ).toBe('stock.reserved');
    expect([await stockOf(a), await stockOf(b)]).toEqual([3, 0]);

    // Not enough of one line: nothing is taken from the other.
    const short = randomUUID();
    const rejected = await send(ReserveStock, short, [
      { productId: a, quantity: 1 },
      { productId: b, quantity: 1 },
    ]);
    expect(rejected.type).toBe('stock.rejected');
    expect(rejected.data.reason).toBe(`not enough stock of product ${b} (0 left)`);
    expect(await stockOf(a)).toBe(3);
    expect(await reservation(short)).toBe('rejected');
  });

  it('releases once: stock back, a repeated release gives nothing more', async () => {
    const a = await product(4);
    const order = randomUUID();
    await send(ReserveStock, order, [{ productId: a, quantity: 3 }]);
    expect(await stockOf(a)).toBe(1);
    expect((await send(ReleaseStock, order, [{ productId: a, quantity: 3 }])).type).toBe('stock.released');
    expect(await stockOf(a)).toBe(4);
    expect((await send(ReleaseStock, order, [{ productId: a, quantity: 3 }], 2)).type).toBe('stock.released');
    expect(await stockOf(a)).toBe(4);
    expect(await reservation(order)).toBe('released');
  });

  it('a release before its reservation leaves a tombstone: the late reserve is refused', async () => {
    const a = await product(2);
    const order = randomUUID();
    expect((await send(ReleaseStock, order, [{ productId: a, quantity: 1 }])).type).toBe('stock.released');
    const late = await send(ReserveStock, order, [{ productId: a, quantity: 1 }]);
    expect(late.type).toBe('stock.rejected');
    expect(await stockOf(a)).toBe(2);
  });

  it("never reads another tenant's product", async () => {
    const other = await product(9, 'other');
    const res = await send(ReserveStock, randomUUID(), [{ productId: other, quantity: 1 }]);
    expect(res).toMatchObject({ type: 'stock.rejected', data: { reason: `product ${other} not found` } });
    expect(await stockOf(other)).toBe(9);
  });

  it('never goes below zero: 12 concurrent orders for 5 in stock hold exactly 5', async () => {
    const a = await product(5);
    const orders = Array.from({ length: 12 }, () => randomUUID());
    const replies = await Promise.all(
      orders.map((o) => send(ReserveStock, o, [{ productId: a, quantity: 1 }])),
    );
    expect(replies.filter((r) => r.type === 'stock.reserved')).toHaveLength(5);
    expect(await stockOf(a)).toBe(0);
    const held = await db.sql.query<{ n: string }>(
      `SELECT sum(l.quantity)::text AS n FROM stock_reservation_lines l JOIN stock_reservations r USING (order_id)
       WHERE r.status = 'held' AND l.product_id = $1`,
      [a],
    );
    expect(Number(held.rows[0]!.n)).toBe(5);
  });

  it('order.confirmed sells the held stock (it stays taken, no longer held)', async () => {
    const a = await product(3);
    const order = randomUUID();
    await send(ReserveStock, order, [{ productId: a, quantity: 2 }]);
    const confirmed = createEvent(
      { type: 'order.confirmed', aggregateType: 'order', topic: 'order.events', schema: {} } as never,
      { subject: order, data: { orderId: order, tenant: TENANT }, source: '/services/order-service' },
    );
    await db.sql.transaction((tx) => handler(confirmed, { tx }));
    expect(await reservation(order)).toBe('sold');
    expect(await stockOf(a)).toBe(1);
    // A release after the sale (never sent by the saga) gives nothing back.
    await send(ReleaseStock, order, [{ productId: a, quantity: 2 }]);
    expect(await stockOf(a)).toBe(1);
  });
});
