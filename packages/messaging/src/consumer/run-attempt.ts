import type { Delivery } from '../broker.ts';
import { MessagingErrors } from '../errors.ts';
import { clearRedeliveryStarts, recordInbox } from '../inbox/inbox.ts';
import type { ConsumeContext, SubscriptionRuntime } from './consume-context.ts';
import { guardTransaction } from './tx-guard.ts';

/**
 * One handling attempt: a transaction that first claims the event in the inbox, then runs the
 * handler (bounded by the timeout). Resolves after COMMIT; rejects after ROLLBACK.
 */
export function runAttempt(
  rt: SubscriptionRuntime,
  d: Delivery,
  attempt: number,
): Promise<'handled' | 'duplicate'> {
  return rt.sql.transaction(async (raw) => {
    if (!(await recordInbox(raw, rt.policy.group, d.event))) return 'duplicate';
    // A redelivery may have a crash count; it is settled together with the effects.
    if (d.attempt > 1) await clearRedeliveryStarts(raw, rt.policy.group, d.event.id);
    const guard = guardTransaction(raw);
    const controller = new AbortController();
    const ctx: ConsumeContext = {
      tx: guard.tx,
      delivery: { topic: d.topic, key: d.key, attempt: d.attempt },
      attempt,
      group: rt.policy.group,
      signal: controller.signal,
      traceparent: d.event.traceparent,
      tracestate: d.event.tracestate,
      baggage: d.event.baggage,
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = MessagingErrors.CONSUMER_HANDLER_TIMEOUT({
          params: { type: d.event.type, timeoutMs: rt.policy.handlerTimeoutMs },
        });
        // Close the door before rejecting: ROLLBACK follows, and late writes must not leak out.
        guard.end();
        controller.abort(error);
        reject(error);
      }, rt.policy.handlerTimeoutMs);
    });
    const run = Promise.resolve().then(() => rt.handler(d.event, ctx));
    run.catch(() => {}); // an abandoned (timed-out) handler may still reject later
    try {
      await Promise.race([run, timeout]);
      return 'handled';
    } finally {
      clearTimeout(timer);
      guard.end();
    }
  });
}
