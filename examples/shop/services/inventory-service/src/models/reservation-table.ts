import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Stock held for orders (the order saga's `stock.reserve` / `stock.release`), one row per order.
 * `status`: `held` (taken from `products.stock`, order pending), `sold` (the order was
 * confirmed), `released` (given back, or released before any reservation — a tombstone so that a
 * late reserve is refused), `rejected` (not enough stock; nothing taken). Invariant: the sum of
 * `held` lines is the stock held by pending orders.
 */
export const reservationTable = pgTable(
  'stock_reservations',
  {
    orderId: text('order_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    status: text('status').notNull(),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('stock_reservations_tenant_status_idx').on(t.tenantId, t.status)],
);

/** The lines of a reservation: how much of which product. */
export const reservationLineTable = pgTable(
  'stock_reservation_lines',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => reservationTable.orderId),
    productId: uuid('product_id').notNull(),
    quantity: integer('quantity').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] })],
);
