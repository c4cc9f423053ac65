import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * payment-service's own table: one payment per order. `status` is `charged`, `declined` or
 * `refunded`; a refund that arrives before any charge leaves a `refunded` row of amount 0, so a
 * late charge of that order is declined instead of taking money nobody will give back.
 */
export const paymentTable = pgTable(
  'payments',
  {
    orderId: text('order_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status').notNull(),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('payments_tenant_idx').on(t.tenantId, t.createdAt)],
);
