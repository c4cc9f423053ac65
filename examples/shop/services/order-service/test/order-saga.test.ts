import { createEvent } from '@outrig/messaging';
import { sagaSpecification } from '@outrig/sagas';
import { describe, expect, it } from 'vitest';
import { OrderAccepted, OrderConfirmed, OrderPlaced, OrderRejected } from '../src/events/order-events.ts';
import { rejectionReason } from '../src/order-commands.ts';
import { orderSaga } from '../src/saga/order-saga.ts';
import {
  PaymentCharged,
  PaymentDeclined,
  PaymentRefunded,
  StockRejected,
  StockReleased,
  StockReserved,
} from '../src/saga/participants.ts';

// The order saga's definition, in memory (the specification helper of @outrig/sagas): which
// commands go out in which order for a confirmed order, a decline of stock or payment, and a
// payment that never answers.

const saga = orderSaga({ paymentTimeoutMs: 10_000, stepTimeoutMs: 30_000 });
const orderId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const productId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const placed = createEvent(OrderPlaced, {
  subject: orderId,
  source: '/services/order-service',
  data: {
    orderId,
    tenant: 'acme',
    customerId: 'u-1',
    items: [{ productId, name: 'Lamp', quantity: 2, unitPrice: 2500 }],
    total: 5000,
    currency: 'EUR',
  },
});
const ref = { orderId, tenant: 'acme' };
const lines = { ...ref, items: [{ productId, quantity: 2 }] };
const money = { ...ref, amount: 5000, currency: 'EUR' };
const types = (o: { commands: readonly { type: string }[] }) => o.commands.map((c) => c.type);

describe('the order saga', () => {
  it('confirms: accept, reserve, charge, confirm', () => {
    const spec = sagaSpecification(saga).given(placed);
    expect(types(spec.when(spec.reply(OrderAccepted, ref)))).toEqual(['stock.reserve']);
    const reserved = spec.when(spec.reply(StockReserved, lines));
    expect(types(reserved)).toEqual(['payment.charge']);
    expect(reserved.commands[0]?.data).toEqual(money);
    expect(types(spec.when(spec.reply(PaymentCharged, money)))).toEqual(['order.confirm']);
    expect(spec.when(spec.reply(OrderConfirmed, ref)).status).toBe('completed');
  });

  it('a payment decline releases the stock, then rejects the order with the decline reason', () => {
    const spec = sagaSpecification(saga).given(placed);
    spec.when(spec.reply(OrderAccepted, ref));
    spec.when(spec.reply(StockReserved, lines));
    const declined = spec.when(spec.reply(PaymentDeclined, { ...money, reason: 'declined by the provider' }));
    expect(types(declined)).toEqual(['stock.release']);
    const released = spec.when(spec.reply(StockReleased, lines));
    expect(types(released)).toEqual(['order.reject']);
    expect(released.commands[0]?.data).toEqual({ ...ref, reason: 'declined by the provider' });
    expect(spec.when(spec.reply(OrderRejected, { ...ref, reason: 'declined by the provider' })).status).toBe(
      'compensated',
    );
  });

  it('a stock decline rejects the order at once (nothing was reserved or charged)', () => {
    const spec = sagaSpecification(saga).given(placed);
    spec.when(spec.reply(OrderAccepted, ref));
    const rejected = spec.when(spec.reply(StockRejected, { ...ref, reason: 'not enough stock' }));
    expect(types(rejected)).toEqual(['order.reject']);
    expect(rejected.commands[0]?.data).toEqual({ ...ref, reason: 'not enough stock' });
  });

  it('a payment that never answers is refunded (its outcome is unknown), the stock released, the order rejected', () => {
    const spec = sagaSpecification(saga).given(placed);
    spec.when(spec.reply(OrderAccepted, ref));
    spec.when(spec.reply(StockReserved, lines));
    expect(types(spec.whenTimePasses(9_999))).toEqual([]);
    const timedOut = spec.whenTimePasses(1);
    expect(timedOut.history[0]?.kind).toBe('step_timed_out');
    expect(types(timedOut)).toEqual(['payment.refund']);
    expect(types(spec.when(spec.reply(PaymentRefunded, money)))).toEqual(['stock.release']);
    const last = spec.when(spec.reply(StockReleased, lines));
    expect(types(last)).toEqual(['order.reject']);
    // No decline said why: order-service takes the saga's reason (rejectionReason).
    expect(last.commands[0]?.data).toEqual({ ...ref, reason: '' });
    expect(rejectionReason('step charge-payment timed out')).toBe(
      'payment timed out: the payment provider did not answer',
    );
    expect(rejectionReason('deadline passed')).toBe('deadline passed');
  });
});
