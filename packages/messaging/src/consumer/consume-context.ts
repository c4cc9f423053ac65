import type { SqlClient, SqlTransaction } from '@outrig/db';
import type { Broker, Delivery } from '../broker.ts';
import type { CloudEvent } from '../cloud-event.ts';
import type { ConsumeTraceHook } from './consume-trace.ts';
import type { ConsumeErrorInfo, ConsumerLogger, ResolvedPolicy } from './consumer-options.ts';
import type { ConsumeRecord } from './consumer-stats.ts';

/** The delivery as the handler sees it: where it came from, not the means to ack it. */
export interface DeliveryInfo {
  readonly topic: string;
  readonly key: string;
  /** The broker's delivery count (1 on first delivery). */
  readonly attempt: number;
}

/** What a handler receives besides the event. */
export interface ConsumeContext {
  /**
   * The transaction the inbox row was written in: do the handler's writes here so they commit
   * (or roll back) together with the "handled" mark. Refuses statements after a timeout.
   */
  readonly tx: SqlTransaction;
  readonly delivery: DeliveryInfo;
  /** This handling attempt, 1-based, counting broker redeliveries and in-process retries. */
  readonly attempt: number;
  readonly group: string;
  /** Aborted when the attempt times out: stop work (HTTP calls, loops) when it fires. */
  readonly signal: AbortSignal;
  /** W3C trace context of the transaction that produced the event. */
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly baggage: string | undefined;
}

/**
 * Handles one event. Resolve to commit (then the delivery is acked); throw to roll back and
 * retry. It may run more than once for one event (retries), but its transaction commits once.
 */
export type ConsumerHandler<T = unknown> = (
  event: CloudEvent<T>,
  ctx: ConsumeContext,
) => Promise<void> | void;

/** Everything the per-delivery code needs, fixed for one subscription. */
export interface SubscriptionRuntime {
  readonly sql: SqlClient;
  readonly broker: Broker;
  readonly policy: ResolvedPolicy;
  readonly handler: ConsumerHandler;
  readonly trace: ConsumeTraceHook;
  readonly logger: ConsumerLogger | undefined;
  /** Aborted when the consumer closes: interrupts backoff waits. */
  readonly closing: AbortSignal;
  record(record: ConsumeRecord): void;
  report(error: unknown, info: ConsumeErrorInfo): void;
  /** In-flight gauge. */
  track(delta: 1 | -1): void;
  /** Runs `task` alone among this consumer's isolated tasks (redeliveries' first attempts). */
  isolate<T>(task: () => Promise<T>): Promise<T>;
}

/** The error-report fields for a delivery. */
export function errorInfo(
  rt: SubscriptionRuntime,
  d: Delivery,
  stage: ConsumeErrorInfo['stage'],
  attempt: number,
): ConsumeErrorInfo {
  return {
    stage,
    group: rt.policy.group,
    topic: d.topic,
    key: d.key,
    eventId: String((d.event as Partial<CloudEvent> | null)?.id),
    type: eventType(d.event),
    attempt,
  };
}

/** The event's type for metrics, even when the event is malformed. */
export function eventType(event: unknown): string {
  const type = (event as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type !== '' ? type : 'unknown';
}
