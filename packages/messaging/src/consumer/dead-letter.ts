import type { Delivery, PublishResult } from '../broker.ts';
import type { CloudEvent } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';
import { backoffDelay } from './backoff.ts';
import { errorInfo, type SubscriptionRuntime } from './consume-context.ts';
import type { ConsumeOutcome, DeadLetterReason } from './consumer-stats.ts';

/** Extensions a dead-lettered event carries (CloudEvents extension attributes). */
export interface DeadLetterExtensions {
  /** `<reason>: <last error message>`; reason is `invalid`, `handler_failed` or `redelivery_limit`. */
  readonly deadletterreason: string;
  /** Handling attempts made (0 for an invalid event). */
  readonly deadletterattempts: number;
  /** The topic the event was consumed from (redrive publishes it back there). */
  readonly deadlettertopic: string;
  /** The consumer group that gave up on it. */
  readonly deadlettergroup: string;
}

/** A dead-lettered event as it appears on the dead-letter topic. */
export type DeadLetterEvent<T = unknown> = CloudEvent<T> & DeadLetterExtensions;

/**
 * Publishes the event to the dead-letter topic, then acks it. If the publish fails the
 * delivery is nacked (with backoff) instead: an event is never dropped.
 */
export async function deadLetter(
  rt: SubscriptionRuntime,
  d: Delivery,
  reason: DeadLetterReason,
  error: unknown,
  attempts: number,
): Promise<{ outcome: ConsumeOutcome; error: unknown }> {
  const topic = rt.policy.deadLetterTopic(d.topic);
  const base = typeof d.event === 'object' && d.event !== null ? d.event : { data: d.event };
  const extensions: DeadLetterExtensions = {
    deadletterreason: `${reason}: ${messageOf(error)}`.slice(0, 1000),
    deadletterattempts: attempts,
    deadlettertopic: d.topic,
    deadlettergroup: rt.policy.group,
  };
  const event = { ...base, ...extensions } as DeadLetterEvent;
  let result: PublishResult | undefined;
  try {
    [result] = await rt.broker.publish([{ topic, key: d.key, event }]);
  } catch (publishError) {
    result = { ok: false, error: publishError as Error };
  }
  const record = { group: rt.policy.group, topic: d.topic, type: event.type ?? 'unknown', attempt: attempts };
  if (!result?.ok) {
    const failure = MessagingErrors.CONSUMER_DEAD_LETTER_FAILED({
      params: { id: String(event.id), topic },
      cause: result?.error,
    });
    rt.report(failure, errorInfo(rt, d, 'dead_letter', attempts));
    await d.nack({ delayMs: backoffDelay(Math.max(1, attempts), rt.policy.backoff) }).catch(() => {});
    rt.record({ ...record, outcome: 'released', durationMs: 0 });
    return { outcome: 'released', error: failure };
  }
  rt.logger?.error(
    {
      err: error,
      eventId: event.id,
      type: event.type,
      topic: d.topic,
      deadLetterTopic: topic,
      reason,
      attempts,
    },
    'event dead-lettered',
  );
  try {
    await d.ack();
  } catch (ackError) {
    rt.report(ackError, errorInfo(rt, d, 'ack', attempts));
  }
  rt.record({ ...record, outcome: 'dead_lettered', durationMs: 0, reason });
  return { outcome: 'dead_lettered', error };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
}
