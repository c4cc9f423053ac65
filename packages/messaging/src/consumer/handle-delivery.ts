import type { Delivery } from '../broker.ts';
import { MessagingErrors } from '../errors.ts';
import { countRedeliveryStart, inboxHas } from '../inbox/inbox.ts';
import { backoffDelay, sleep } from './backoff.ts';
import { errorInfo, eventType, type SubscriptionRuntime } from './consume-context.ts';
import type { ConsumeSpan } from './consume-trace.ts';
import type { ConsumeOutcome } from './consumer-stats.ts';
import { deadLetter } from './dead-letter.ts';
import { envelopeProblem } from './event-envelope.ts';
import { runAttempt } from './run-attempt.ts';

interface Final {
  outcome: ConsumeOutcome;
  error?: unknown;
}

/**
 * The whole life of one delivery: poison check → validation → attempts (inbox + handler in one
 * transaction, ack after commit) with in-process backoff → dead letter. The delivery is held
 * (not acked) throughout, so later messages of its key wait while other keys flow.
 */
export async function handleDelivery(rt: SubscriptionRuntime, d: Delivery): Promise<void> {
  rt.track(1);
  const span = rt.trace.start({
    event: d.event,
    group: rt.policy.group,
    broker: rt.broker.name,
    topic: d.topic,
    key: d.key,
    attempt: d.attempt,
    traceparent: d.event?.traceparent,
    tracestate: d.event?.tracestate,
    baggage: d.event?.baggage,
    transportContext: d.traceContext,
  });
  let final: Final = { outcome: 'released' };
  // Held deliveries must not expire at the broker (which would hand them to another member).
  const heartbeat = d.inProgress
    ? setInterval(() => void d.inProgress?.().catch(() => {}), rt.policy.heartbeatMs)
    : undefined;
  heartbeat?.unref();
  try {
    final = await process(rt, d, span);
  } finally {
    clearInterval(heartbeat);
    rt.track(-1);
    span.end(final.outcome, final.error);
  }
}

async function process(rt: SubscriptionRuntime, d: Delivery, span: ConsumeSpan): Promise<Final> {
  const invalid = await validationError(rt, d);
  if (invalid !== undefined) {
    rt.report(invalid, errorInfo(rt, d, 'validate', d.attempt));
    return deadLetter(rt, d, 'invalid', invalid, 0);
  }
  let attempt = 1;
  if (d.attempt > 1) {
    // A redelivery is a suspect: its previous holder may have crashed in the handler. Suspects
    // take their first attempt one at a time in this process, so that when a poison message
    // crashes the process it is the only suspect charged with the crash.
    const first = await rt.isolate(() => firstAttemptOfRedelivery(rt, d, span));
    if ('outcome' in first) return first;
    attempt = first.next;
  }
  for (; ; attempt++) {
    if (rt.closing.aborted) return release(rt, d, attempt);
    const result = await tryAttempt(rt, d, span, attempt);
    if (result !== undefined) return result;
  }
}

/**
 * A redelivery's first attempt. The previous holder may have committed and lost its ack — then
 * it is a duplicate, whatever its delivery count — or crashed in the handler. Crashes are
 * counted per event in the database (the broker's count also rises for messages merely in
 * flight when a neighbour crashed the process); one that keeps crashing its consumers is set
 * aside before it runs again.
 */
async function firstAttemptOfRedelivery(
  rt: SubscriptionRuntime,
  d: Delivery,
  span: ConsumeSpan,
): Promise<Final | { next: number }> {
  const { maxAttempts } = rt.policy;
  if (await inboxHas(rt.sql, rt.policy.group, d.event.id)) {
    await ack(rt, d, d.attempt);
    rt.record({ ...recordBase(rt, d), outcome: 'duplicate', attempt: d.attempt, durationMs: 0 });
    return { outcome: 'duplicate' };
  }
  const starts = await countRedeliveryStart(rt.sql, rt.policy.group, d.event.id);
  const attempt = starts + 1;
  if (attempt > maxAttempts) {
    const error = new Error(
      `started ${attempt} times (maxAttempts ${maxAttempts}) without completing: it crashes its consumer`,
    );
    return deadLetter(rt, d, 'redelivery_limit', error, attempt);
  }
  return (await tryAttempt(rt, d, span, attempt)) ?? { next: attempt + 1 };
}

/** One attempt; a Final when the delivery is settled, undefined when it should be retried. */
async function tryAttempt(
  rt: SubscriptionRuntime,
  d: Delivery,
  span: ConsumeSpan,
  attempt: number,
): Promise<Final | undefined> {
  const { maxAttempts } = rt.policy;
  const base = recordBase(rt, d);
  const started = performance.now();
  try {
    const outcome = await span.run(() => runAttempt(rt, d, attempt));
    rt.record({ ...base, outcome, attempt, durationMs: performance.now() - started });
    await ack(rt, d, attempt);
    return { outcome };
  } catch (error) {
    rt.record({ ...base, outcome: 'failed', attempt, durationMs: performance.now() - started });
    rt.report(error, errorInfo(rt, d, 'handler', attempt));
    if (attempt >= maxAttempts) return deadLetter(rt, d, 'handler_failed', error, attempt);
    rt.logger?.warn(
      { err: error, eventId: d.event.id, type: base.type, attempt, maxAttempts },
      'event handler failed; retrying',
    );
    await sleep(backoffDelay(attempt, rt.policy.backoff), rt.closing);
    // Keep the broker from handing this message to another member while we retry.
    await d.inProgress?.().catch(() => {});
    return undefined;
  }
}

function recordBase(rt: SubscriptionRuntime, d: Delivery) {
  return { group: rt.policy.group, topic: d.topic, type: eventType(d.event) };
}

async function validationError(rt: SubscriptionRuntime, d: Delivery): Promise<unknown> {
  const problem = envelopeProblem(d.event);
  if (problem !== undefined) {
    const id = String((d.event as { id?: unknown } | null)?.id);
    return MessagingErrors.CONSUMER_EVENT_INVALID({ params: { id, reason: problem } });
  }
  if (!rt.policy.validate) return undefined;
  try {
    await rt.policy.validate(d.event);
    return undefined;
  } catch (error) {
    return error ?? new Error('validation failed');
  }
}

/** Ack after commit. A failed ack only means a later redelivery, which the inbox skips. */
async function ack(rt: SubscriptionRuntime, d: Delivery, attempt: number): Promise<void> {
  try {
    await d.ack();
  } catch (error) {
    rt.report(error, errorInfo(rt, d, 'ack', attempt));
  }
}

/** Closing mid-retry: hand the message back so another member (or the next start) takes it. */
async function release(rt: SubscriptionRuntime, d: Delivery, attempt: number): Promise<Final> {
  await d.nack({ delayMs: 0 }).catch((error: unknown) => rt.report(error, errorInfo(rt, d, 'ack', attempt)));
  rt.record({
    group: rt.policy.group,
    topic: d.topic,
    type: eventType(d.event),
    outcome: 'released',
    attempt,
    durationMs: 0,
  });
  return { outcome: 'released' };
}
