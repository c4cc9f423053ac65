import type { ConsumerStats } from '../consumer/consumer-stats.ts';
import type { OutboxRelayStats } from '../relay/outbox-relay.ts';

/** The subset of a prom-client-backed `Metrics` (from `@outrig/core`) used here. */
export interface MetricsHost {
  gauge(config: { name: string; help: string; labelNames?: readonly string[]; collect?: () => void }): {
    set(labels: Record<string, string>, value: number): void;
    set(value: number): void;
  };
}

/**
 * Exposes relay and consumer counters as Prometheus series read at scrape time. Counters that
 * only grow are exported as `_total` gauges set to the running total (prom-client counters
 * cannot be set), which Prometheus' rate() treats the same way.
 */
export function registerMessagingMetrics(
  metrics: MetricsHost,
  sources: { relay?: () => OutboxRelayStats; consumer?: () => ConsumerStats },
): void {
  const { relay, consumer } = sources;
  if (relay) {
    const gauges: [string, string, (s: OutboxRelayStats) => number | null][] = [
      ['outbox_published_total', 'Events this process relayed to the broker', (s) => s.publishedTotal],
      ['outbox_failed_total', 'Failed publish attempts of this relay', (s) => s.failedTotal],
      ['outbox_fenced_total', 'Marks refused because the lease moved on (fencing)', (s) => s.fencedTotal],
      ['outbox_pending', 'Outbox rows waiting to be published', (s) => s.pending],
      ['outbox_parked', 'Outbox rows parked after their last attempt', (s) => s.parked],
      [
        'outbox_oldest_pending_age_seconds',
        'Age of the oldest pending outbox row',
        (s) => seconds(s.oldestPendingAgeMs),
      ],
      [
        'outbox_relay_lag_seconds',
        'Age of the oldest event of the last batch when fetched',
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
    const consumed = metrics.gauge({
      name: 'events_consumed_total',
      help: 'Events consumed, by type and outcome (handled, duplicate, failed, dead_lettered, released)',
      labelNames: ['type', 'outcome'],
      collect() {
        for (const [type, outcomes] of Object.entries(consumer().consumed)) {
          for (const [outcome, n] of Object.entries(outcomes)) consumed.set({ type, outcome }, n ?? 0);
        }
      },
    });
    const simple: [string, string, (s: ConsumerStats) => number][] = [
      [
        'events_duplicates_skipped_total',
        'Deliveries skipped because the inbox had the event',
        (s) => s.duplicatesSkipped,
      ],
      ['events_dead_lettered_total', 'Events sent to the dead-letter topic', (s) => s.deadLettered],
      ['events_in_flight', 'Deliveries being handled now', (s) => s.inFlight],
    ];
    for (const [name, help, read] of simple) {
      const g = metrics.gauge({
        name,
        help,
        collect() {
          g.set(read(consumer()));
        },
      });
    }
  }
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : ms / 1000;
}
