import type { CloudEvent } from '@outrig/messaging';
import { defineSaga } from '@outrig/sagas';
import {
  AcceptOrder,
  ConfirmOrder,
  OrderAccepted,
  OrderConfirmed,
  OrderPlaced,
  type OrderPlacedData,
  OrderRejected,
  RejectOrder,
} from '../events/order-events.ts';
import {
  ChargePayment,
  PaymentCharged,
  PaymentDeclined,
  PaymentRefunded,
  RefundPayment,
  ReleaseStock,
  ReserveStock,
  StockRejected,
  StockReleased,
  StockReserved,
} from './participants.ts';

/** What the order saga keeps of an order (its `state.data`). */
export interface OrderSagaData {
  readonly orderId: string;
  readonly tenant: string;
  readonly items: readonly { productId: string; quantity: number }[];
  readonly total: number;
  readonly currency: string;
  /** Set by a decline (stock or payment): why the order is rejected. */
  readonly reason?: string;
}

export interface OrderSagaOptions {
  /** How long the payment may take before the order is rejected (`ORDER_PAYMENT_TIMEOUT_MS`). */
  readonly paymentTimeoutMs: number;
  /** Timeout of the other steps and of every compensation (`ORDER_STEP_TIMEOUT_MS`). */
  readonly stepTimeoutMs: number;
}

const declined = (data: OrderSagaData, reply: CloudEvent): OrderSagaData => {
  const reason = (reply.data as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? { ...data, reason } : data;
};

/**
 * The order saga: accept the order → reserve its stock (inventory-service) → charge its total
 * (payment-service) → confirm it. A decline or a timeout compensates in reverse: refund what was
 * charged, release the stock, and — the compensation of the first step, so always last — reject
 * the order with the reason. Instances are keyed by the order id (one saga per order).
 */
export function orderSaga(options: OrderSagaOptions) {
  const ref = (d: OrderSagaData) => ({ orderId: d.orderId, tenant: d.tenant });
  const lines = (d: OrderSagaData) => ({ ...ref(d), items: d.items.map((i) => ({ ...i })) });
  const money = (d: OrderSagaData) => ({ ...ref(d), amount: d.total, currency: d.currency });
  const timeoutMs = options.stepTimeoutMs;
  return defineSaga<OrderSagaData>({
    name: 'order',
    version: 1,
    startedBy: {
      event: OrderPlaced,
      data: (e) => {
        const placed = e.data as OrderPlacedData;
        return {
          orderId: placed.orderId,
          tenant: placed.tenant,
          items: placed.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
          total: placed.total,
          currency: placed.currency,
        };
      },
    },
    steps: [
      {
        name: 'accept-order',
        command: (d) => ({ definition: AcceptOrder, data: ref(d) }),
        ok: [OrderAccepted],
        timeoutMs,
        compensation: {
          // The order-service handler adds the saga's own reason when no decline gave one (a timeout).
          command: (d) => ({ definition: RejectOrder, data: { ...ref(d), reason: d.reason ?? '' } }),
          ok: [OrderRejected],
          timeoutMs,
        },
      },
      {
        name: 'reserve-stock',
        command: (d) => ({ definition: ReserveStock, data: lines(d) }),
        ok: [StockReserved],
        fail: [StockRejected],
        apply: declined,
        timeoutMs,
        compensation: {
          command: (d) => ({ definition: ReleaseStock, data: lines(d) }),
          ok: [StockReleased],
          timeoutMs,
        },
      },
      {
        name: 'charge-payment',
        command: (d) => ({ definition: ChargePayment, data: money(d) }),
        ok: [PaymentCharged],
        fail: [PaymentDeclined],
        apply: declined,
        timeoutMs: options.paymentTimeoutMs,
        compensation: {
          command: (d) => ({ definition: RefundPayment, data: money(d) }),
          ok: [PaymentRefunded],
          timeoutMs,
        },
      },
      {
        name: 'confirm-order',
        command: (d) => ({ definition: ConfirmOrder, data: ref(d) }),
        ok: [OrderConfirmed],
        timeoutMs,
      },
    ],
  });
}
