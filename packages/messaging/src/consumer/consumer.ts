import type { Subscription } from '../broker.ts';
import { MessagingErrors } from '../errors.ts';
import { openTelemetryConsumeTrace } from '../tracing/otel-consume-trace.ts';
import type { ConsumerHandler, SubscriptionRuntime } from './consume-context.ts';
import {
  type ConsumerOptions,
  type ConsumerPolicy,
  checkConsumerOptions,
  resolvePolicy,
} from './consumer-options.ts';
import { type ConsumerStats, StatsCollector } from './consumer-stats.ts';
import { handleDelivery } from './handle-delivery.ts';
import { KeyLock } from './key-lock.ts';

/** Subscribes handlers to topics with the inbox, retries, dead letters and per-key order. */
export interface Consumer {
  /**
   * Starts consuming `topics` as consumer group `options.group` (or the consumer's group).
   * Resolves once the broker subscription is live.
   */
  subscribe<T = unknown>(
    topics: string | readonly string[],
    handler: ConsumerHandler<T>,
    options?: ConsumerPolicy,
  ): Promise<Subscription>;
  /** Counters since creation (for `/metrics` and tests). */
  stats(): ConsumerStats;
  /**
   * Stops fetching, hands back deliveries waiting for a retry, waits for running handler
   * attempts to finish (commit and ack). Leaves the broker and the SqlClient open (not owned).
   */
  close(): Promise<void>;
}

/**
 * Creates a consumer over a broker and the service's database. Each delivery is handled in a
 * transaction that first records `(group, event id)` in the inbox — a duplicate is acked and
 * skipped — and is acked only after that transaction commits.
 *
 * @example
 * const consumer = createConsumer({ sql, broker, group: 'billing' });
 * await consumer.subscribe(['order.events'], async (event, { tx }) => {
 *   if (event.type !== 'order.placed') return;
 *   await tx.query('insert into invoices(order_id) values ($1)', [event.subject]);
 * });
 * // on shutdown
 * await consumer.close();
 */
export function createConsumer(options: ConsumerOptions): Consumer {
  checkConsumerOptions(options);
  const { sql, broker, onError, onOutcome, logger, trace = openTelemetryConsumeTrace } = options;
  const stats = new StatsCollector();
  const closing = new AbortController();
  const subscriptions = new Set<Subscription>();
  // One lane for every subscription of this consumer: redelivered suspects run one at a time.
  const isolation = new KeyLock();
  let closed: Promise<void> | undefined;

  return {
    async subscribe(topics, handler, overrides = {}) {
      if (closed) throw MessagingErrors.CONSUMER_CLOSED();
      const list = typeof topics === 'string' ? [topics] : [...topics];
      if (list.length === 0 || list.some((t) => typeof t !== 'string' || t === '')) {
        throw MessagingErrors.CONSUMER_OPTIONS_INVALID({
          params: { reason: 'topics must be non-empty strings' },
        });
      }
      if (typeof handler !== 'function') {
        throw MessagingErrors.CONSUMER_OPTIONS_INVALID({ params: { reason: 'handler must be a function' } });
      }
      const policy = resolvePolicy(options, overrides);
      const rt: SubscriptionRuntime = {
        sql,
        broker,
        policy,
        handler: handler as ConsumerHandler,
        trace,
        logger,
        closing: closing.signal,
        record(r) {
          stats.record(r);
          onOutcome?.(r);
        },
        report(error, info) {
          onError?.(error, info);
        },
        track(delta) {
          stats.inFlight += delta;
        },
        isolate: (task) => isolation.run('redeliveries', task),
      };
      const keys = new KeyLock();
      const subscription = await broker.subscribe(
        list,
        {
          group: policy.group,
          startFrom: policy.startFrom,
          ...(policy.maxInFlight === undefined ? {} : { maxInFlight: policy.maxInFlight }),
        },
        (delivery) => keys.run(`${delivery.topic}\u0000${delivery.key}`, () => handleDelivery(rt, delivery)),
      );
      subscriptions.add(subscription);
      return subscription;
    },
    stats: () => stats.snapshot(),
    close() {
      closed ??= (async () => {
        closing.abort();
        await Promise.allSettled([...subscriptions].map((s) => s.close()));
        subscriptions.clear();
      })();
      return closed;
    },
  };
}
