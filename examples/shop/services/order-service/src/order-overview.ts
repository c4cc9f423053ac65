import type { SqlQueryable } from '@outrig/db';
import { defineProjection } from '@outrig/sagas';
import type { OrderPlacedData } from './events/order-events.ts';

/**
 * The read model behind `GET /api/v1/orders`: one row per order joining the order (status,
 * reason, total), its lines with the product names, and its payment's state, folded from
 * `order.events` and `payment.events`. Events of one order share a key, so each topic's events
 * of an order arrive in order; across the two topics there is no order, so every handler
 * upserts (a payment event may come before `order.placed`).
 */
export const OrderOverview = defineProjection({
  name: 'order_overview',
  topics: ['order.events', 'payment.events'],
  table: (t) => `CREATE TABLE ${t} (
      order_id text PRIMARY KEY,
      tenant text NOT NULL,
      customer_id text,
      status text NOT NULL DEFAULT 'pending',
      reason text,
      total integer,
      currency text,
      items jsonb NOT NULL DEFAULT '[]',
      payment_status text NOT NULL DEFAULT 'none',
      payment_amount integer,
      placed_at timestamptz,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX ${t}_customer_idx ON ${t} (tenant, customer_id, placed_at DESC)`,
  handle: async (event, { tx, table }) => {
    const data = event.data as { orderId: string; tenant: string; amount?: number; reason?: string };
    const at = event.time ?? new Date().toISOString();
    const upsert = (set: string, values: unknown[]) =>
      tx
        .query(
          `INSERT INTO ${table} AS o (order_id, tenant, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (order_id) DO UPDATE SET updated_at = greatest(o.updated_at, EXCLUDED.updated_at)`,
          [data.orderId, data.tenant, at],
        )
        .then(() => tx.query(`UPDATE ${table} SET ${set} WHERE order_id = $1`, [data.orderId, ...values]));
    switch (event.type) {
      case 'order.placed': {
        const placed = event.data as OrderPlacedData;
        await upsert('customer_id = $2, total = $3, currency = $4, items = $5::jsonb, placed_at = $6', [
          placed.customerId,
          placed.total,
          placed.currency,
          JSON.stringify(
            placed.items.map((i) => ({
              productId: i.productId,
              name: i.name,
              quantity: i.quantity,
              unitPrice: i.unitPrice,
            })),
          ),
          at,
        ]);
        break;
      }
      case 'order.confirmed':
        await upsert(`status = 'confirmed'`, []);
        break;
      case 'order.rejected':
        await upsert(`status = 'rejected', reason = $2`, [data.reason ?? null]);
        break;
      case 'payment.charged':
        await upsert(`payment_status = 'charged', payment_amount = $2`, [data.amount ?? null]);
        break;
      case 'payment.declined':
        await upsert(`payment_status = 'declined'`, []);
        break;
      case 'payment.refunded':
        await upsert(`payment_status = 'refunded', payment_amount = $2`, [data.amount ?? null]);
        break;
    }
  },
});

/** A line of the order list. */
export interface OrderSummary {
  id: string;
  status: 'pending' | 'confirmed' | 'rejected';
  reason?: string;
  total: number;
  currency: string;
  items: { productId: string; name: string; quantity: number; unitPrice: number }[];
  payment: { status: string; amount: number | null };
  placedAt: string;
}

/** The caller's orders, newest first, from the read model (the view `order_overview`). */
export async function listOrderOverview(
  sql: SqlQueryable,
  tenant: string,
  customer: string,
  limit: number,
): Promise<OrderSummary[]> {
  const res = await sql.query<Record<string, unknown>>(
    `SELECT * FROM order_overview WHERE tenant = $1 AND customer_id = $2 ORDER BY placed_at DESC, order_id LIMIT $3`,
    [tenant, customer, limit],
  );
  return res.rows.map((r) => ({
    id: r.order_id as string,
    status: r.status as OrderSummary['status'],
    ...(r.reason ? { reason: r.reason as string } : {}),
    total: r.total as number,
    currency: r.currency as string,
    items: r.items as OrderSummary['items'],
    payment: { status: r.payment_status as string, amount: (r.payment_amount as number | null) ?? null },
    placedAt: (r.placed_at as Date).toISOString(),
  }));
}
