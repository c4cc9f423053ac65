import type { SqlQueryable } from '@outrig/db';
import type { MetricsHost } from '@outrig/messaging';
import type { ProjectionRunner } from './projection/projection-runner.ts';
import { sagaGauges } from './saga/saga-admin.ts';
import type { TransitionRecord } from './saga/saga-engine.ts';
import type { SagaRuntime } from './saga/saga-runtime.ts';

/** Step and compensation durations: from a command sent to its reply, seconds to hours. */
const STEP_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600];
/** How late timers fire (poll interval and load). */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const STATUSES = ['running', 'compensating', 'completed', 'compensated', 'compensation_failed'] as const;

/** What {@link registerSagaMetrics} reads. */
export interface SagaMetricsSources {
  /** The database the instances live in (gauges are read at scrape time). */
  readonly sql: SqlQueryable;
  readonly runtime?: SagaRuntime;
  readonly projections?: readonly { readonly name: string; readonly runner: ProjectionRunner }[];
}

/**
 * Exposes saga and projection series (names in `docs/metrics.md`): transition counters by
 * outcome, `saga_compensation_failed_total` (alert on any increase), instances by status, the
 * age of the oldest running instance, step durations, timer lag, projection lag in events and
 * seconds. Gauges are read from the database at scrape time.
 *
 * @example
 * registerSagaMetrics(service.metrics, { sql, runtime: sagas, projections: [{ name: 'order_summary', runner }] });
 */
export function registerSagaMetrics(metrics: MetricsHost, sources: SagaMetricsSources): void {
  const { sql, runtime, projections = [] } = sources;
  if (runtime) {
    const counter = (name: string, help: string) => metrics.counter({ name, help, labelNames: ['saga'] });
    const started = counter('saga_started_total', 'Saga instances started');
    const completed = counter('saga_completed_total', 'Saga instances that completed every step');
    const compensated = counter('saga_compensated_total', 'Saga instances that ended compensated');
    const failed = counter(
      'saga_compensation_failed_total',
      'Saga instances whose compensation kept failing (compensation_failed: an operator must act)',
    );
    const parked = counter(
      'saga_parked_messages_total',
      'Messages a saga did not accept (late, unexpected), parked with a reason',
    );
    const transitions = counter('saga_transitions_total', 'Saga transitions (one database transaction each)');
    const steps = metrics.histogram({
      name: 'saga_step_duration_seconds',
      help: 'From a step (or compensation) command sent to the reply or timeout that settled it',
      labelNames: ['saga'],
      buckets: STEP_BUCKETS,
    });
    const lag = metrics.histogram({
      name: 'saga_timer_lag_seconds',
      help: 'How long after its due time a saga timer fired (database clock)',
      labelNames: ['saga'],
      buckets: LAG_BUCKETS,
    });
    runtime.observe((r: TransitionRecord) => {
      const labels = { saga: r.saga };
      transitions.inc(labels, 1);
      if (r.from === null) started.inc(labels, 1);
      if (r.parked) parked.inc(labels, 1);
      if (r.from !== r.to && r.to === 'completed') completed.inc(labels, 1);
      if (r.from !== r.to && r.to === 'compensated') compensated.inc(labels, 1);
      if (r.from !== r.to && r.to === 'compensation_failed') failed.inc(labels, 1);
      if (r.stepDurationMs !== undefined) steps.labels(labels).observe(r.stepDurationMs / 1000);
      if (r.timerLagMs !== undefined) lag.labels(labels).observe(r.timerLagMs / 1000);
    });
    const names = [...new Set(runtime.registry.all.map((d) => d.name))];
    const byStatus = metrics.gauge({
      name: 'saga_instances',
      help: 'Saga instances in the database by status',
      labelNames: ['saga', 'status'],
      collect: async () => {
        const g = await sagaGauges(sql);
        for (const saga of names) {
          for (const status of STATUSES) {
            const n = g.byStatus.find((r) => r.saga === saga && r.status === status)?.n ?? 0;
            byStatus.set({ saga, status }, n);
          }
        }
        oldest.set(g.oldestRunningAgeS);
      },
    });
    const oldest = metrics.gauge({
      name: 'saga_oldest_running_age_seconds',
      help: 'Age of the oldest running or compensating saga instance, 0 when none',
    });
  }
  if (projections.length > 0) {
    const lagEvents = metrics.gauge({
      name: 'projection_lag_events',
      help: 'Events in the log the live generation of a projection has not applied yet',
      labelNames: ['projection'],
      collect: async () => {
        for (const p of projections) {
          const lag = await p.runner.lag();
          lagEvents.set({ projection: p.name }, lag.events);
          lagSeconds.set({ projection: p.name }, lag.seconds);
        }
      },
    });
    const lagSeconds = metrics.gauge({
      name: 'projection_lag_seconds',
      help: 'Age of the oldest event a projection has not applied yet, 0 when caught up',
      labelNames: ['projection'],
    });
  }
}
