import { errorResponse, type ServiceApp, Type, tenantOf } from '@outrig/core';
import type { OrderSummary } from '../order-overview.ts';
import type { Orders } from '../orders.ts';

const Line = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  name: Type.String({ description: "The product's name when the order was placed" }),
  quantity: Type.Integer(),
  unitPrice: Type.Integer({ description: 'Minor units, from inventory-service when the order was placed' }),
});
const Status = Type.Union([Type.Literal('pending'), Type.Literal('confirmed'), Type.Literal('rejected')]);
const Order = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Status,
  reason: Type.Optional(Type.String({ description: 'Why the order was rejected' })),
  total: Type.Integer({ description: 'Minor units' }),
  currency: Type.String(),
  items: Type.Array(Line),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const HistoryEntry = Type.Object({
  at: Type.String({ format: 'date-time' }),
  kind: Type.String({ description: 'started, step_completed, step_declined, step_timed_out, compensated…' }),
  step: Type.String(),
  phase: Type.String({ description: 'do (the step) or undo (its compensation)' }),
  attempt: Type.Integer(),
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.String(),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
const OrderWithHistory = Type.Object({
  ...Order.properties,
  saga: Type.Union(
    [
      Type.Object({
        id: Type.String({ description: 'The instance id (outrig saga show <id>)' }),
        status: Type.String({
          description:
            'running, compensating, completed, compensated or compensation_failed. The order may be confirmed or rejected a moment before its saga records the reply and finishes',
        }),
      }),
      Type.Null(),
    ],
    { description: 'The order saga; null until it has started (order.placed is on its way)' },
  ),
  history: Type.Array(HistoryEntry, { description: "The order saga's transitions, oldest first" }),
});
const OrderListItem = Type.Object({
  id: Type.String(),
  status: Status,
  reason: Type.Optional(Type.String()),
  total: Type.Integer(),
  currency: Type.String(),
  items: Type.Array(Line),
  payment: Type.Object({
    status: Type.String({ description: 'none, charged, declined or refunded' }),
    amount: Type.Union([Type.Integer(), Type.Null()]),
  }),
  placedAt: Type.String({ format: 'date-time' }),
});
const PlaceOrder = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          productId: Type.String({ format: 'uuid' }),
          quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { additionalProperties: false },
);

/**
 * API v1: place an order (202, the saga runs after), read one with its saga's history, list the
 * caller's orders from the read model. Every route needs a token with a tenant; a caller sees
 * their own orders (an `admin`, any order of their tenant).
 */
export function orderRoutesV1(
  orders: Orders,
  list: (tenant: string, customer: string, limit: number) => Promise<OrderSummary[]>,
) {
  return (api: ServiceApp) => {
    api.post(
      '/orders',
      {
        config: { auth: 'required' },
        schema: {
          summary: 'Place an order',
          description:
            'Prices come from inventory-service. Answers 202 with the order `pending`; the order saga then reserves the stock, charges the payment and confirms the order — or rejects it with a reason.',
          body: PlaceOrder,
          response: {
            202: Order,
            422: errorResponse('ORDER_ITEMS_INVALID: an unknown or unpriced product, mixed currencies'),
          },
        },
      },
      async (request, reply) => {
        const principal = request.principal!;
        const order = await orders.place(tenantOf(request), principal.subject, request.body.items);
        reply.code(202).header('location', `/api/v1/orders/${order.id}`);
        return order;
      },
    );
    api.get(
      '/orders/:id',
      {
        config: { auth: 'required' },
        schema: {
          summary: 'An order: status, reason, total and the saga history',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
          response: { 200: OrderWithHistory },
        },
      },
      async (request) => {
        const principal = request.principal!;
        const customer = principal.roles.includes('admin') ? undefined : principal.subject;
        return orders.get(tenantOf(request), request.params.id, customer);
      },
    );
    api.get(
      '/orders',
      {
        config: { auth: 'required' },
        schema: {
          summary: "The caller's orders, newest first (read model)",
          description:
            'From the `order_overview` read model (a projection of order and payment events): it may lag the writes by a moment.',
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }) }),
          response: {
            200: Type.Array(OrderListItem),
            503: errorResponse('ORDER_READ_MODEL_UNAVAILABLE: the service runs on a transport without a log'),
          },
        },
      },
      async (request) => list(tenantOf(request), request.principal!.subject, request.query.limit),
    );
  };
}
