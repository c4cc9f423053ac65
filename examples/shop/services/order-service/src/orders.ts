import { randomUUID } from 'node:crypto';
import { isOutrigError } from '@outrig/core/errors';
import type { SqlClient, SqlQueryable } from '@outrig/db';
import type { Outbox } from '@outrig/messaging';
import { instanceId, type SagaDetails, showSaga } from '@outrig/sagas';
import { OrderErrors } from './errors.ts';
import { type OrderLine, OrderPlaced } from './events/order-events.ts';

/** The largest total a PostgreSQL `integer` holds (minor units). */
const TOTAL_MAX = 2_147_483_647;

/** What the catalogue says about a product of the caller's tenant. */
export interface CatalogueProduct {
  id: string;
  name: string;
  price: { amount: number; currency: string } | null;
}

/** Reads a product of a tenant from inventory-service; undefined when it is not there. */
export type Catalogue = (tenant: string, productId: string) => Promise<CatalogueProduct | undefined>;

export type OrderStatus = 'pending' | 'confirmed' | 'rejected';

export interface Order {
  id: string;
  status: OrderStatus;
  reason?: string;
  total: number;
  currency: string;
  items: OrderLine[];
  createdAt: string;
  updatedAt: string;
}

export interface OrderHistoryEntry {
  at: string;
  kind: string;
  step: string;
  phase: string;
  attempt: number;
  from: string | null;
  to: string;
  detail?: Record<string, unknown>;
}

interface OrderRow {
  id: string;
  tenant_id: string;
  customer_id: string;
  status: OrderStatus;
  reason: string | null;
  total: number;
  currency: string;
  created_at: Date;
  updated_at: Date;
}

/** Name of the saga (its definition's `name`): instance ids are derived from it and the order id. */
export const ORDER_SAGA = 'order';

/**
 * Orders of order-service. Placing one takes the prices from inventory-service, stores the order
 * `pending` and publishes `order.placed` in the same transaction: the saga starts from that
 * event, so an order without a saga (or a saga without an order) cannot happen.
 */
export function createOrders(sql: SqlClient, outbox: Outbox, catalogue: Catalogue) {
  const load = async (db: SqlQueryable, tenant: string, id: string, customer?: string) => {
    const res = await db.query<OrderRow>(
      `SELECT * FROM orders WHERE tenant_id = $1 AND id = $2 AND ($3::text IS NULL OR customer_id = $3)`,
      [tenant, id, customer ?? null],
    );
    const row = res.rows[0];
    if (!row) throw OrderErrors.ORDER_NOT_FOUND({ params: { id } });
    const lines = await db.query<{ product_id: string; name: string; quantity: number; unit_price: number }>(
      'SELECT product_id::text AS product_id, name, quantity, unit_price FROM order_lines WHERE order_id = $1 ORDER BY name, product_id',
      [id],
    );
    return toOrder(
      row,
      lines.rows.map((l) => ({
        productId: l.product_id,
        name: l.name,
        quantity: l.quantity,
        unitPrice: l.unit_price,
      })),
    );
  };

  return {
    async place(
      tenant: string,
      customerId: string,
      items: readonly { productId: string; quantity: number }[],
    ) {
      const wanted = new Map<string, number>();
      for (const i of items) wanted.set(i.productId, (wanted.get(i.productId) ?? 0) + i.quantity);
      const products = await Promise.all([...wanted.keys()].map((id) => catalogue(tenant, id)));
      const lines: OrderLine[] = [];
      let currency: string | undefined;
      let total = 0;
      for (const [index, id] of [...wanted.keys()].entries()) {
        const product = products[index];
        const invalid = (reason: string) =>
          OrderErrors.ORDER_ITEMS_INVALID({ params: { reason }, details: { productId: id } });
        if (!product) throw invalid(`product ${id} is not in the catalogue`);
        if (!product.price) throw invalid(`product ${id} has no price`);
        if (currency !== undefined && product.price.currency !== currency) {
          throw invalid(`products in ${currency} and ${product.price.currency} cannot share an order`);
        }
        currency = product.price.currency;
        const quantity = wanted.get(id) ?? 0;
        total += product.price.amount * quantity;
        if (total > TOTAL_MAX) throw invalid(`the total is above ${TOTAL_MAX} minor units`);
        lines.push({ productId: id, name: product.name, quantity, unitPrice: product.price.amount });
      }
      const id = randomUUID();
      await outbox.unitOfWork(sql, async (uow) => {
        await uow.tx.query(
          `INSERT INTO orders (id, tenant_id, customer_id, status, total, currency) VALUES ($1, $2, $3, 'pending', $4, $5)`,
          [id, tenant, customerId, total, currency],
        );
        for (const l of lines) {
          await uow.tx.query(
            'INSERT INTO order_lines (order_id, product_id, name, quantity, unit_price) VALUES ($1, $2, $3, $4, $5)',
            [id, l.productId, l.name, l.quantity, l.unitPrice],
          );
        }
        uow.publish(OrderPlaced, {
          subject: id,
          data: { orderId: id, tenant, customerId, items: lines, total, currency: currency as string },
        });
      });
      return load(sql, tenant, id);
    },

    /** The order with its saga's history; another tenant's (or, with `customer`, another customer's) is not found. */
    async get(
      tenant: string,
      id: string,
      customer?: string,
    ): Promise<Order & { saga: { id: string; status: string } | null; history: OrderHistoryEntry[] }> {
      const order = await load(sql, tenant, id, customer);
      let saga: SagaDetails | undefined;
      try {
        saga = await showSaga(sql, instanceId(ORDER_SAGA, id));
      } catch (error) {
        // The saga starts when order.placed comes back from the bus: none yet is fine.
        if (!(isOutrigError(error) && error.code === 'SAGA_NOT_FOUND')) throw error;
      }
      return {
        ...order,
        saga: saga ? { id: saga.id, status: saga.status } : null,
        history: saga ? historyOf(saga) : [],
      };
    },
  };
}

export type Orders = ReturnType<typeof createOrders>;

const STEPS = ['accept-order', 'reserve-stock', 'charge-payment', 'confirm-order'];

function historyOf(saga: SagaDetails): OrderHistoryEntry[] {
  return saga.history.map((h) => ({
    at: h.at.toISOString(),
    kind: h.kind,
    step: STEPS[h.step] ?? String(h.step),
    phase: h.phase,
    attempt: h.attempt,
    from: h.from,
    to: h.to,
    ...(h.detail ? { detail: h.detail } : {}),
  }));
}

function toOrder(r: OrderRow, items: OrderLine[]): Order {
  return {
    id: r.id,
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    total: r.total,
    currency: r.currency,
    items,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
