import type { SqlTransaction } from '@outrig/db';
import type { CloudEvent, Outbox } from '@outrig/messaging';
import { replyTo } from '@outrig/sagas';
import {
  AcceptOrder,
  ConfirmOrder,
  OrderAccepted,
  OrderConfirmed,
  OrderRejected,
  RejectOrder,
} from './events/order-events.ts';

/** Why a saga that compensated without a decline (a timeout, the deadline, an operator) rejects. */
export function rejectionReason(sagaReason: string | null | undefined): string {
  if (!sagaReason) return 'rejected';
  const timedOut = /^step (.+) timed out$/.exec(sagaReason);
  if (timedOut?.[1] === 'charge-payment') return 'payment timed out: the payment provider did not answer';
  if (timedOut?.[1] === 'reserve-stock') return 'stock reservation timed out: inventory did not answer';
  return sagaReason;
}

/**
 * order-service's own part of its saga (`order.commands`, through its inbox): accept, confirm or
 * reject an order, each reply committed with the order's new status. An order leaves `pending`
 * once; a repeated command (a new attempt) finds it already there and replies the same.
 */
export function createOrderCommands(outbox: Outbox) {
  const reply = async (
    tx: SqlTransaction,
    command: CloudEvent,
    definition: typeof OrderAccepted | typeof OrderConfirmed | typeof OrderRejected,
    data: { orderId: string; tenant: string; reason?: string },
  ) => {
    await outbox.write(tx, {
      event: outbox.event(definition as typeof OrderRejected, {
        subject: data.orderId,
        data: data as { orderId: string; tenant: string; reason: string },
        ...replyTo(command),
      }),
      topic: definition.topic,
    });
  };

  return async (command: CloudEvent, { tx }: { tx: SqlTransaction }) => {
    const { orderId, tenant } = command.data as { orderId: string; tenant: string; reason?: string };
    if (command.type === AcceptOrder.type) {
      await reply(tx, command, OrderAccepted, { orderId, tenant });
    } else if (command.type === ConfirmOrder.type) {
      await tx.query(
        `UPDATE orders SET status = 'confirmed', updated_at = now() WHERE id = $1 AND status = 'pending'`,
        [orderId],
      );
      await reply(tx, command, OrderConfirmed, { orderId, tenant });
    } else if (command.type === RejectOrder.type) {
      let reason = (command.data as { reason?: string }).reason;
      if (!reason) {
        // No decline said why (a timeout, the deadline, an operator's abort): the saga's own reason.
        const saga = await tx.query<{ reason: string | null }>(
          `SELECT state->>'reason' AS reason FROM saga_instance WHERE id = $1`,
          [String(command.correlationid)],
        );
        reason = rejectionReason(saga.rows[0]?.reason);
      }
      const updated = await tx.query<{ reason: string }>(
        `UPDATE orders SET status = 'rejected', reason = $2, updated_at = now() WHERE id = $1 AND status = 'pending'
         RETURNING reason`,
        [orderId, reason],
      );
      if (updated.rowCount === 0) {
        const current = await tx.query<{ reason: string | null }>('SELECT reason FROM orders WHERE id = $1', [
          orderId,
        ]);
        reason = current.rows[0]?.reason ?? reason;
      }
      await reply(tx, command, OrderRejected, { orderId, tenant, reason });
    }
  };
}
