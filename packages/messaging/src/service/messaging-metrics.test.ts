import { createMetrics } from '@outrig/core';
import { describe, expect, it } from 'vitest';
import type { ConsumerStats } from '../consumer/consumer-stats.ts';
import type { OutboxRelayStats } from '../relay/outbox-relay.ts';
import { consumeDurationMetric, registerMessagingMetrics } from './messaging-metrics.ts';

const relayStats = (over: Partial<OutboxRelayStats> = {}): OutboxRelayStats => ({
  id: 'r1',
  running: true,
  partitions: [0],
  publishedTotal: 0,
  failedTotal: 0,
  parkedTotal: 0,
  fencedTotal: 0,
  batchesTotal: 0,
  errorsTotal: 0,
  lastBatchAgeMs: null,
  pending: null,
  parked: null,
  oldestPendingAgeMs: null,
  ...over,
});

const consumerStats = (over: Partial<ConsumerStats> = {}): ConsumerStats => ({
  consumed: {},
  handled: 0,
  duplicatesSkipped: 0,
  failedAttempts: 0,
  deadLettered: 0,
  released: 0,
  inFlight: 0,
  handlerDuration: { count: 0, totalMs: 0, maxMs: 0 },
  ...over,
});

/** `name{labels} value` lines of one scrape, without the service label. */
async function scrape(metrics: ReturnType<typeof createMetrics>): Promise<string> {
  return (await metrics.render()).replaceAll(/service="test",?|,service="test"/g, '').replaceAll('{}', '');
}

describe('registerMessagingMetrics', () => {
  it('exports running totals as counters that keep the total across scrapes', async () => {
    const metrics = createMetrics({ service: 'test', processMetrics: false });
    let relay = relayStats({ publishedTotal: 5, failedTotal: 1 });
    let consumer = consumerStats({ consumed: { 'order.placed': { handled: 2 } }, duplicatesSkipped: 1 });
    registerMessagingMetrics(metrics, { relay: () => relay, consumer: () => consumer });

    let text = await scrape(metrics);
    expect(text).toContain('# TYPE outbox_published_total counter');
    expect(text).toContain('# TYPE events_consumed_total counter');
    expect(text).toContain('outbox_published_total 5\n');
    expect(text).toContain('outbox_failed_total 1\n');
    expect(text).toContain('events_consumed_total{type="order.placed",outcome="handled"} 2\n');
    expect(text).toContain('events_duplicates_skipped_total 1\n');

    // A second scrape with no growth must not add the totals again.
    text = await scrape(metrics);
    expect(text).toContain('outbox_published_total 5\n');
    expect(text).toContain('events_consumed_total{type="order.placed",outcome="handled"} 2\n');

    relay = relayStats({ publishedTotal: 12, failedTotal: 1 });
    consumer = consumerStats({
      consumed: { 'order.placed': { handled: 3, failed: 1 }, 'order.paid': { dead_lettered: 1 } },
      duplicatesSkipped: 1,
      deadLettered: 1,
    });
    text = await scrape(metrics);
    expect(text).toContain('outbox_published_total 12\n');
    expect(text).toContain('events_consumed_total{type="order.placed",outcome="handled"} 3\n');
    expect(text).toContain('events_consumed_total{type="order.placed",outcome="failed"} 1\n');
    expect(text).toContain('events_consumed_total{type="order.paid",outcome="dead_lettered"} 1\n');
    expect(text).toContain('events_dead_lettered_total 1\n');
  });

  it('reports ages in seconds and absent values as 0', async () => {
    const metrics = createMetrics({ service: 'test', processMetrics: false });
    let relay = relayStats({ pending: 3, parked: 1, oldestPendingAgeMs: 2500, lastBatchAgeMs: 40 });
    registerMessagingMetrics(metrics, { relay: () => relay });
    let text = await scrape(metrics);
    expect(text).toContain('outbox_pending 3\n');
    expect(text).toContain('outbox_parked 1\n');
    expect(text).toContain('outbox_oldest_pending_age_seconds 2.5\n');
    expect(text).toContain('outbox_relay_lag_seconds 0.04\n');
    relay = relayStats({ pending: 0, parked: 0 });
    text = await scrape(metrics);
    expect(text).toContain('outbox_oldest_pending_age_seconds 0\n');
    expect(text).toContain('outbox_relay_lag_seconds 0\n');
  });
});

describe('consumeDurationMetric', () => {
  it('observes handler attempts by type and outcome, and ignores outcomes without a handler run', async () => {
    const metrics = createMetrics({ service: 'test', processMetrics: false });
    const onOutcome = consumeDurationMetric(metrics);
    const base = { group: 'g', topic: 'order.events', type: 'order.placed', attempt: 1 };
    onOutcome({ ...base, outcome: 'handled', durationMs: 3 });
    onOutcome({ ...base, outcome: 'handled', durationMs: 200 });
    onOutcome({ ...base, outcome: 'failed', durationMs: 7 });
    onOutcome({ ...base, outcome: 'dead_lettered', durationMs: 0, reason: 'handler_failed' });
    onOutcome({ ...base, outcome: 'duplicate', durationMs: 1 });
    const text = await scrape(metrics);
    expect(text).toContain('# TYPE event_handler_duration_seconds histogram');
    expect(text).toContain(
      'event_handler_duration_seconds_bucket{le="0.005",type="order.placed",outcome="handled"} 1\n',
    );
    expect(text).toContain('event_handler_duration_seconds_count{type="order.placed",outcome="handled"} 2\n');
    expect(text).toContain('event_handler_duration_seconds_count{type="order.placed",outcome="failed"} 1\n');
    expect(text).not.toContain('outcome="dead_lettered"');
    expect(text).not.toContain('outcome="duplicate"');
  });
});
