import type { SqlQueryable, SqlTransaction } from '@outrig/db';
import type { CloudEvent, Outbox } from '@outrig/messaging';
import { replyTo } from '@outrig/sagas';
import {
  ChargePayment,
  PaymentCharged,
  type PaymentCommand,
  PaymentDeclined,
  PaymentRefunded,
  RefundPayment,
} from './events/payment-events.ts';
import type { FakeProvider } from './provider.ts';

/** A payment as the API shows it. */
export interface Payment {
  orderId: string;
  tenant: string;
  amount: number;
  currency: string;
  status: 'charged' | 'declined' | 'refunded';
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  order_id: string;
  tenant_id: string;
  amount: number;
  currency: string;
  status: Payment['status'];
  reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const toPayment = (r: Row): Payment => ({
  orderId: r.order_id,
  tenant: r.tenant_id,
  amount: r.amount,
  currency: r.currency,
  status: r.status,
  reason: r.reason,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/**
 * The command handler of `payment.commands`, run in the consumer's transaction (its inbox row
 * commits with the payment row and the reply in the outbox, so a redelivered command is dropped).
 * Each effect is idempotent per order too: the saga sends a new command id only for a new
 * attempt, whose outcome must not double the charge.
 */
export function createPaymentCommands(outbox: Outbox, provider: FakeProvider) {
  const reply = async (
    tx: SqlTransaction,
    command: CloudEvent,
    definition: typeof PaymentCharged | typeof PaymentDeclined | typeof PaymentRefunded,
    data: PaymentCommand & { reason?: string },
  ) => {
    await outbox.write(tx, {
      event: outbox.event(definition, { subject: data.orderId, data, ...replyTo(command) } as never),
      topic: definition.topic,
    });
  };

  const lock = async (tx: SqlTransaction, orderId: string) =>
    (await tx.query<Row>('SELECT * FROM payments WHERE order_id = $1 FOR UPDATE', [orderId])).rows[0];

  const charge = async (tx: SqlTransaction, command: CloudEvent, c: PaymentCommand) => {
    // Two charges of one order at once (a second attempt) serialise on the row or its insert.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`payment:${c.orderId}`]);
    const existing = await lock(tx, c.orderId);
    if (existing) {
      // Asked again (a new attempt after a timeout): the first outcome stands.
      if (existing.status === 'charged') {
        if (provider.answering) await reply(tx, command, PaymentCharged, { ...c, amount: existing.amount });
        return;
      }
      const reason =
        existing.status === 'refunded' ? 'the order was refunded already' : (existing.reason ?? 'declined');
      await reply(tx, command, PaymentDeclined, { ...c, reason });
      return;
    }
    const declined = provider.decide(c.amount);
    await tx.query(
      `INSERT INTO payments (order_id, tenant_id, amount, currency, status, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
      [c.orderId, c.tenant, c.amount, c.currency, declined ? 'declined' : 'charged', declined],
    );
    if (declined) await reply(tx, command, PaymentDeclined, { ...c, reason: declined });
    // A silent provider took the money but its answer is lost: no reply (the saga times out).
    else if (provider.answering) await reply(tx, command, PaymentCharged, c);
  };

  const refund = async (tx: SqlTransaction, command: CloudEvent, c: PaymentCommand) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`payment:${c.orderId}`]);
    const existing = await lock(tx, c.orderId);
    let refunded = 0;
    if (!existing) {
      // Nothing charged (yet): leave a refunded row so that a late charge is declined.
      await tx.query(
        `INSERT INTO payments (order_id, tenant_id, amount, currency, status, reason) VALUES ($1, $2, 0, $3, 'refunded', $4)`,
        [c.orderId, c.tenant, c.currency, 'refunded before any charge'],
      );
    } else if (existing.status === 'charged') {
      refunded = existing.amount;
      await tx.query(`UPDATE payments SET status = 'refunded', updated_at = now() WHERE order_id = $1`, [
        c.orderId,
      ]);
    } else if (existing.status === 'refunded') {
      refunded = existing.amount; // a repeated refund gives back nothing more
    }
    await reply(tx, command, PaymentRefunded, { ...c, amount: refunded });
  };

  return async (command: CloudEvent, { tx }: { tx: SqlTransaction }) => {
    const data = command.data as PaymentCommand;
    if (command.type === ChargePayment.type) await charge(tx, command, data);
    else if (command.type === RefundPayment.type) await refund(tx, command, data);
  };
}

/** The payment of an order in a tenant; another tenant's is not found. */
export async function findPayment(
  sql: SqlQueryable,
  tenant: string,
  orderId: string,
): Promise<Payment | undefined> {
  const res = await sql.query<Row>('SELECT * FROM payments WHERE tenant_id = $1 AND order_id = $2', [
    tenant,
    orderId,
  ]);
  return res.rows[0] && toPayment(res.rows[0]);
}
