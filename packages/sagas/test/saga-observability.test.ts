import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createMetrics } from '@outrig/core';
import { createInMemoryTracing, type InMemoryTracing, serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProjectionRunner,
  defineProjection,
  instanceId,
  projectionMigrations,
  registerSagaMetrics,
} from '../src/index.ts';
import { tripSaga } from './fixtures/trip-saga.ts';
import { type SagaHarness, startSagaHarness } from './support/saga-harness.ts';

const hasPg = await serverAvailable('postgres');
const docs = readFileSync(path.join(import.meta.dirname, '..', '..', '..', 'docs', 'metrics.md'), 'utf8');

describe.skipIf(!hasPg)('saga metrics and spans', () => {
  let h: SagaHarness;
  let tracing: InMemoryTracing;
  beforeAll(async () => {
    tracing = createInMemoryTracing();
    h = await startSagaHarness('saga_obs', () => 'ok');
  });
  afterAll(async () => {
    await h?.close();
    await tracing?.shutdown();
  });

  it('serves every documented saga and projection family, and they are in docs/metrics.md with their type', async () => {
    const runtime = await h.worker([tripSaga()]);
    const { migrate } = await import('@outrig/db');
    await migrate(h.sql, [projectionMigrations]);
    const trips = defineProjection({
      name: 'trips',
      topics: ['participant.replies'],
      table: (t) => `CREATE TABLE ${t} (trip text PRIMARY KEY, replies int NOT NULL)`,
      handle: async (e, { tx, table }) => {
        await tx.query(
          `INSERT INTO ${table} AS t VALUES ($1, 1) ON CONFLICT (trip) DO UPDATE SET replies = t.replies + 1`,
          [e.subject],
        );
      },
    });
    const metrics = createMetrics({ service: 'test', processMetrics: false });
    registerSagaMetrics(metrics, {
      sql: h.sql,
      runtime,
      projections: [{ name: 'trips', runner: createProjectionRunner({ sql: h.sql, projection: trips }) }],
    });
    await h.book('m-1');
    expect(await h.settled('m-1')).toBe('completed');
    const text = await metrics.render();
    expect(text).toMatch(/saga_started_total\{saga="trip",service="test"\} 1/);
    expect(text).toMatch(/saga_completed_total\{saga="trip",service="test"\} 1/);
    expect(text).toMatch(/saga_instances\{saga="trip",status="completed",service="test"\} 1/);
    expect(text).toMatch(/projection_lag_events\{projection="trips",service="test"\} 3/);
    const served = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(served.size).toBe(12);
    for (const [name, type] of served)
      expect(docs, `${name} (${type}) in docs/metrics.md`).toContain(`| \`${name}\` | ${type} |`);
  });

  it('one saga.transition span per transition, in the trace of the message that caused it', async () => {
    const id = instanceId('trip', 'm-1');
    const spans = tracing
      .spansNamed('saga.transition')
      .filter((s) => s.attributes['outrig.saga.instance_id'] === id);
    expect(spans.map((s) => s.attributes['outrig.saga.transition'])).toEqual([
      'started',
      'step_completed',
      'step_completed',
      'completed',
    ]);
    // A consume span ends after its ack, just after the transition it wraps committed.
    const parentOf = (span: (typeof spans)[number]) =>
      tracing.spans().find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId);
    await expect.poll(() => spans.every((s) => parentOf(s) !== undefined), { timeout: 10_000 }).toBe(true);
    for (const span of spans) {
      const parent = tracing.spans().find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId);
      expect(parent?.name).toBe('consume');
      expect(parent?.spanContext().traceId).toBe(span.spanContext().traceId);
    }
  });
});
