import { type Static, Type } from '@outrig/core';
import { defineEvent } from '@outrig/messaging';

/**
 * payment-service's contract: the commands it takes on `payment.commands` (from order-service's
 * order saga) and the replies it publishes on `payment.events`. Subject = the order id (one
 * payment per order). Replies carry `correlationid`/`causationid` of the command (`replyTo`).
 */
const Payment = Type.Object({
  orderId: Type.String({ minLength: 1 }),
  tenant: Type.String({ minLength: 1 }),
  amount: Type.Integer({ minimum: 0, description: 'Minor units' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
});
const Declined = Type.Object({ ...Payment.properties, reason: Type.String() });

const command = (type: string, description: string) =>
  defineEvent({
    type,
    aggregateType: 'payment-command',
    topic: 'payment.commands',
    schema: Payment,
    description,
  });
const reply = <S extends typeof Payment | typeof Declined>(type: string, schema: S, description: string) =>
  defineEvent({ type, aggregateType: 'payment', topic: 'payment.events', schema, description });

/** Charge `amount` for the order (idempotent per order). */
export const ChargePayment = command('payment.charge', 'Charge the order total');
/** Give back what was charged for the order (idempotent; nothing charged: refunds 0). */
export const RefundPayment = command('payment.refund', 'Refund what was charged for the order');
export const PaymentCharged = reply('payment.charged', Payment, 'The provider took the money');
export const PaymentDeclined = reply('payment.declined', Declined, 'The provider declined the charge');
/** `amount` is what was given back (0 when nothing had been charged). */
export const PaymentRefunded = reply('payment.refunded', Payment, 'What was charged was given back');

export type PaymentCommand = Static<typeof Payment>;
