import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * order-service's own tables. `status`: `pending` until the order saga confirms or rejects it
 * (`reason` says why). Prices are the ones inventory-service showed when the order was placed.
 */
export const orderTable = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    customerId: text('customer_id').notNull(),
    status: text('status').notNull(),
    reason: text('reason'),
    total: integer('total').notNull(),
    currency: text('currency').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('orders_tenant_customer_idx').on(t.tenantId, t.customerId, t.createdAt)],
);

/** The lines of an order, with the product's name and unit price at the time it was placed. */
export const orderLineTable = pgTable(
  'order_lines',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orderTable.id),
    productId: uuid('product_id').notNull(),
    name: text('name').notNull(),
    quantity: integer('quantity').notNull(),
    unitPrice: integer('unit_price').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] })],
);
