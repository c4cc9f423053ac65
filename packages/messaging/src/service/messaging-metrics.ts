import type { ConsumeRecord, ConsumerStats } from '../consumer/consumer-stats.ts';
import type { OutboxRelayStats } from '../relay/outbox-relay.ts';

type Labels = Record<string, string>;

/** The subset of a prom-client-backed `Metrics` (from `@outrig/core`) used here. */
export interface MetricsHost {
  counter(config: { name: string; help: string; labelNames?: readonly string[]; collect?: () => void }): {
    inc(labels: Labels, value: number): void;
    inc(value?: number): void;
  };
  gauge(config: { name: string; help: string; labelNames?: readonly string[]; collect?: () => void }): {
    set(labels: Labels, value: number): void;
    set(value: number): void;
  };
  histogram(config: { name: string; help: string; labelNames?: readonly string[]; buckets?: number[] }): {
    labels(labels: Labels): { observe(value: number): void };
  };
}

/** Handler durations: a database transaction per attempt, up to the 30 s default timeout. */
const HANDLER_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Exposes relay and consumer statistics as Prometheus series (names in `docs/metrics.md`).
 * Nothing is added to the hot path: the `_total` series are real counters that, at scrape time,
 * add what the relay's or consumer's running totals grew by since the previous scrape; gauges are
 * read at scrape time.
 *
 * @example
 * registerMessagingMetrics(service.metrics, { relay: () => relay.stats(), consumer: () => consumer.stats() });
 */
export function registerMessagingMetrics(
  metrics: MetricsHost,
  sources: { relay?: () => OutboxRelayStats; consumer?: () => ConsumerStats },
): void {
  const { relay, consumer } = sources;
  if (relay) {
    const counters: [string, string, (s: OutboxRelayStats) => number][] = [
      ['outbox_published_total', 'Events this relay published to the broker', (s) => s.publishedTotal],
      ['outbox_failed_total', 'Failed publish attempts of this relay', (s) => s.failedTotal],
      ['outbox_fenced_total', 'Marks refused because the lease moved on (fencing)', (s) => s.fencedTotal],
      [
        'outbox_relay_errors_total',
        'Errors the relay survived (database or broker down)',
        (s) => s.errorsTotal,
      ],
    ];
    for (const [name, help, read] of counters) totalCounter(metrics, name, help, () => read(relay()));
    const gauges: [string, string, (s: OutboxRelayStats) => number | null][] = [
      ['outbox_pending', 'Outbox rows waiting to be published (whole outbox)', (s) => s.pending],
      ['outbox_parked', 'Outbox rows parked after their last attempt (whole outbox)', (s) => s.parked],
      [
        'outbox_oldest_pending_age_seconds',
        'Age of the oldest pending outbox row, 0 when none is pending',
        (s) => seconds(s.oldestPendingAgeMs),
      ],
      [
        'outbox_relay_lag_seconds',
        "Age of the oldest event in this relay's latest fetch, 0 when that fetch found nothing",
        (s) => seconds(s.lastBatchAgeMs),
      ],
    ];
    for (const [name, help, read] of gauges) {
      const g = metrics.gauge({
        name,
        help,
        collect() {
          g.set(read(relay()) ?? 0);
        },
      });
    }
  }
  if (consumer) {
    const last = new Map<string, number>();
    const consumed = metrics.counter({
      name: 'events_consumed_total',
      help: 'Deliveries by event type and outcome (handled, duplicate, dead_lettered, released); failed counts attempts',
      labelNames: ['type', 'outcome'],
      collect() {
        for (const [type, outcomes] of Object.entries(consumer().consumed)) {
          for (const [outcome, n = 0] of Object.entries(outcomes)) {
            const key = `${type}\u0000${outcome}`;
            const delta = n - (last.get(key) ?? 0);
            last.set(key, n);
            if (delta > 0) consumed.inc({ type, outcome }, delta);
          }
        }
      },
    });
    const counters: [string, string, (s: ConsumerStats) => number][] = [
      [
        'events_duplicates_skipped_total',
        'Deliveries skipped because the inbox already had the event',
        (s) => s.duplicatesSkipped,
      ],
      ['events_dead_lettered_total', 'Events sent to the dead-letter topic', (s) => s.deadLettered],
    ];
    for (const [name, help, read] of counters) totalCounter(metrics, name, help, () => read(consumer()));
    const inFlight = metrics.gauge({
      name: 'events_in_flight',
      help: 'Deliveries being handled now',
      collect() {
        inFlight.set(consumer().inFlight);
      },
    });
  }
}

/**
 * Registers `event_handler_duration_seconds` and returns the consumer's `onOutcome` hook that
 * feeds it: one observation per handler attempt (outcome `handled` or `failed`), by event type.
 *
 * @example
 * const consumer = createConsumer({ sql, broker, group, onOutcome: consumeDurationMetric(service.metrics) });
 */
export function consumeDurationMetric(metrics: MetricsHost): (record: ConsumeRecord) => void {
  const histogram = metrics.histogram({
    name: 'event_handler_duration_seconds',
    help: 'Event handler attempt duration (inbox insert, handler, commit) by event type and outcome',
    labelNames: ['type', 'outcome'],
    buckets: HANDLER_BUCKETS,
  });
  // Label lookups hash their values on every call; children are cached per label set instead.
  const children = new Map<string, { observe(value: number): void }>();
  return (record) => {
    if (record.outcome !== 'handled' && record.outcome !== 'failed') return;
    const key = `${record.type}\u0000${record.outcome}`;
    let child = children.get(key);
    if (!child) {
      child = histogram.labels({ type: record.type, outcome: record.outcome });
      children.set(key, child);
    }
    child.observe(record.durationMs / 1000);
  };
}

/** A counter that follows a running total read at scrape time (it adds the growth since the last scrape). */
function totalCounter(metrics: MetricsHost, name: string, help: string, read: () => number): void {
  let last = 0;
  const counter = metrics.counter({
    name,
    help,
    collect() {
      const now = read();
      if (now > last) counter.inc(now - last);
      last = now;
    },
  });
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : ms / 1000;
}
