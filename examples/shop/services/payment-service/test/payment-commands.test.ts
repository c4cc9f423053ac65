import { randomUUID } from 'node:crypto';
import { migrate } from '@outrig/db';
import { createEvent, createOutbox } from '@outrig/messaging';
import { commandId } from '@outrig/sagas';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChargePayment, RefundPayment } from '../src/events/payment-events.ts';
import { paymentMigrations } from '../src/migrations.ts';
import { createPaymentCommands } from '../src/payments.ts';
import { FakeProvider } from '../src/provider.ts';

// payment-service's side of the order saga on real PostgreSQL: the fake provider's limit, its
// silent mode (money taken, answer lost), and idempotence per order across saga attempts.

const hasPg = await serverAvailable('postgres');

describe.skipIf(!hasPg)('payment-service: payment.charge / payment.refund', () => {
  let db: TestDatabase;
  const provider = new FakeProvider({ declineAbove: 50_000, answering: true });
  const handler = createPaymentCommands(createOutbox({ source: '/services/payment-service' }), provider);

  beforeAll(async () => {
    db = await createTestDatabase('payment_commands');
    await migrate(db.sql, await paymentMigrations());
  });
  afterAll(async () => {
    await db?.drop();
  });

  const send = async (def: typeof ChargePayment, orderId: string, amount: number, attempt = 1) => {
    const saga = randomUUID();
    const command = createEvent(def, {
      id: commandId(saga, 2, def === ChargePayment ? 'do' : 'undo', attempt),
      subject: orderId,
      data: { orderId, tenant: 'acme', amount, currency: 'EUR' },
      source: '/services/order-service',
      correlationId: saga,
    });
    await db.sql.transaction((tx) => handler(command, { tx }));
    const reply = await db.sql.query<{ type: string; data: { amount: number; reason?: string } }>(
      `SELECT event->>'type' AS type, event->'data' AS data FROM outbox WHERE event->>'causationid' = $1`,
      [command.id],
    );
    return reply.rows[0];
  };
  const payment = async (orderId: string) =>
    (
      await db.sql.query<{ status: string; amount: number }>(
        'SELECT status, amount FROM payments WHERE order_id = $1',
        [orderId],
      )
    ).rows[0];

  it('charges up to the limit, declines above it; a second attempt repeats the first outcome', async () => {
    const ok = randomUUID();
    expect(await send(ChargePayment, ok, 50_000)).toMatchObject({ type: 'payment.charged' });
    expect(await send(ChargePayment, ok, 50_000, 2)).toMatchObject({ type: 'payment.charged' });
    expect(await payment(ok)).toEqual({ status: 'charged', amount: 50_000 });
    const big = randomUUID();
    const declined = await send(ChargePayment, big, 50_001);
    expect(declined).toMatchObject({
      type: 'payment.declined',
      data: { reason: 'declined by the provider: 50001 is above the limit of 50000' },
    });
    expect((await send(ChargePayment, big, 50_001, 2))?.type).toBe('payment.declined');
  });

  it('refunds what was charged, once', async () => {
    const order = randomUUID();
    await send(ChargePayment, order, 1200);
    expect(await send(RefundPayment, order, 1200)).toMatchObject({
      type: 'payment.refunded',
      data: { amount: 1200 },
    });
    expect(await send(RefundPayment, order, 1200, 2)).toMatchObject({ type: 'payment.refunded' });
    expect(await payment(order)).toEqual({ status: 'refunded', amount: 1200 });
    // A refund of a declined payment gives back nothing.
    const big = randomUUID();
    await send(ChargePayment, big, 90_000);
    expect(await send(RefundPayment, big, 90_000)).toMatchObject({ data: { amount: 0 } });
  });

  it('a silent provider takes the money without answering; the refund answers and gives it back', async () => {
    const order = randomUUID();
    provider.answering = false;
    try {
      expect(await send(ChargePayment, order, 700)).toBeUndefined();
      expect(await payment(order)).toEqual({ status: 'charged', amount: 700 });
      expect(await send(RefundPayment, order, 700)).toMatchObject({
        type: 'payment.refunded',
        data: { amount: 700 },
      });
    } finally {
      provider.answering = true;
    }
  });

  it('a refund before any charge leaves a tombstone: the late charge is declined, nothing taken', async () => {
    const order = randomUUID();
    expect(await send(RefundPayment, order, 300)).toMatchObject({
      type: 'payment.refunded',
      data: { amount: 0 },
    });
    expect(await send(ChargePayment, order, 300)).toMatchObject({
      type: 'payment.declined',
      data: { reason: 'the order was refunded already' },
    });
    expect(await payment(order)).toEqual({ status: 'refunded', amount: 0 });
  });
});
