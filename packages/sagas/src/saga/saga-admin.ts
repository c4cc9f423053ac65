import type { SqlQueryable } from '@outrig/db';
import { SagaErrors } from '../errors.ts';
import type { SagaRegistry } from './saga-registry.ts';
import type { SagaHistoryEntry, SagaState, SagaStatus } from './saga-transition.ts';

/** One line of {@link listSagas}. */
export interface SagaSummary {
  readonly id: string;
  readonly saga: string;
  readonly version: number;
  readonly key: string;
  readonly status: SagaStatus;
  readonly step: number;
  readonly phase: string;
  readonly startedAt: Date;
  readonly updatedAt: Date;
}

/** Filters of {@link listSagas}. */
export interface ListSagasOptions {
  readonly status?: SagaStatus | readonly SagaStatus[];
  readonly saga?: string;
  /** Only instances started longer ago than this. */
  readonly olderThanMs?: number;
  /** Default 100. */
  readonly limit?: number;
}

/** Instances, oldest first. The query behind `outrig saga list` and the admin route. */
export async function listSagas(sql: SqlQueryable, options: ListSagasOptions = {}): Promise<SagaSummary[]> {
  const statuses =
    options.status === undefined ? null : Array.isArray(options.status) ? options.status : [options.status];
  const res = await sql.query<Record<string, unknown>>(
    `SELECT id::text AS id, saga, version, saga_key, status, state, started_at, updated_at FROM saga_instance
     WHERE ($1::text[] IS NULL OR status = ANY($1)) AND ($2::text IS NULL OR saga = $2)
       AND ($3::float8 IS NULL OR started_at < clock_timestamp() - make_interval(secs => $3 / 1000))
     ORDER BY started_at, id LIMIT $4`,
    [statuses, options.saga ?? null, options.olderThanMs ?? null, options.limit ?? 100],
  );
  return res.rows.map((r) => {
    const state = r.state as SagaState;
    return {
      id: r.id as string,
      saga: r.saga as string,
      version: r.version as number,
      key: r.saga_key as string,
      status: r.status as SagaStatus,
      step: state.step,
      phase: state.phase,
      startedAt: r.started_at as Date,
      updatedAt: r.updated_at as Date,
    };
  });
}

/** Everything about one instance: the behind-the-scenes of `outrig saga show <id>`. */
export interface SagaDetails extends SagaSummary {
  readonly state: SagaState;
  /** The history as a timeline, oldest first. */
  readonly history: readonly (SagaHistoryEntry & { seq: number; at: Date })[];
  readonly timers: readonly { name: string; token: string; dueAt: Date }[];
  readonly parked: readonly { eventId: string; type: string; reason: string; at: Date }[];
}

/** One instance with its history, timers and parked messages. @throws `SAGA_NOT_FOUND` */
export async function showSaga(sql: SqlQueryable, id: string): Promise<SagaDetails> {
  const [summary] = await listOne(sql, id);
  if (!summary) throw SagaErrors.SAGA_NOT_FOUND({ params: { id } });
  const [history, timers, parked] = await Promise.all([
    sql.query<Record<string, unknown>>(
      `SELECT seq, at, kind, from_status, to_status, step, phase, attempt, message_id, detail
       FROM saga_history WHERE instance_id = $1 ORDER BY seq`,
      [id],
    ),
    sql.query<Record<string, unknown>>(
      'SELECT name, token, due_at FROM saga_timer WHERE instance_id = $1 ORDER BY due_at',
      [id],
    ),
    sql.query<Record<string, unknown>>(
      'SELECT event_id, event_type, reason, parked_at FROM saga_parked WHERE instance_id = $1 ORDER BY id',
      [id],
    ),
  ]);
  return {
    ...summary,
    history: history.rows.map((h) => ({
      seq: h.seq as number,
      at: h.at as Date,
      kind: h.kind as string,
      from: (h.from_status as SagaStatus | null) ?? null,
      to: h.to_status as SagaStatus,
      step: h.step as number,
      phase: h.phase as 'do' | 'undo',
      attempt: h.attempt as number,
      ...(h.message_id ? { messageId: h.message_id as string } : {}),
      ...(h.detail ? { detail: h.detail as Record<string, unknown> } : {}),
    })),
    timers: timers.rows.map((t) => ({
      name: t.name as string,
      token: t.token as string,
      dueAt: t.due_at as Date,
    })),
    parked: parked.rows.map((p) => ({
      eventId: p.event_id as string,
      type: p.event_type as string,
      reason: p.reason as string,
      at: p.parked_at as Date,
    })),
  };
}

async function listOne(sql: SqlQueryable, id: string): Promise<(SagaSummary & { state: SagaState })[]> {
  const res = await sql.query<Record<string, unknown>>(
    `SELECT id::text AS id, saga, version, saga_key, status, state, started_at, updated_at FROM saga_instance WHERE id::text = $1`,
    [id],
  );
  return res.rows.map((r) => {
    const state = r.state as SagaState;
    return {
      id: r.id as string,
      saga: r.saga as string,
      version: r.version as number,
      key: r.saga_key as string,
      status: r.status as SagaStatus,
      step: state.step,
      phase: state.phase,
      state,
      startedAt: r.started_at as Date,
      updatedAt: r.updated_at as Date,
    };
  });
}

/**
 * Start-up check: every unfinished instance in the database must have its definition version
 * registered (instances finish on the version they started on).
 * @throws `SAGA_VERSION_UNREGISTERED`
 */
export async function assertSagaVersions(sql: SqlQueryable, registry: SagaRegistry): Promise<void> {
  const res = await sql.query<{ saga: string; version: number; n: string }>(
    `SELECT saga, version, count(*) AS n FROM saga_instance
     WHERE status IN ('running', 'compensating', 'compensation_failed') GROUP BY saga, version ORDER BY saga, version`,
  );
  for (const r of res.rows) {
    if (!registry.get(r.saga, r.version)) {
      const params = { saga: r.saga, version: r.version, count: Number(r.n) };
      throw SagaErrors.SAGA_VERSION_UNREGISTERED({ params, details: params });
    }
  }
}

/** Instances by (saga, status) and the age of the oldest running one: for the gauges. */
export async function sagaGauges(
  sql: SqlQueryable,
): Promise<{ byStatus: { saga: string; status: string; n: number }[]; oldestRunningAgeS: number }> {
  const [by, oldest] = await Promise.all([
    sql.query<{ saga: string; status: string; n: string }>(
      'SELECT saga, status, count(*) AS n FROM saga_instance GROUP BY 1, 2',
    ),
    sql.query<{ age: number | null }>(
      `SELECT extract(epoch FROM clock_timestamp() - min(started_at))::float8 AS age FROM saga_instance
       WHERE status IN ('running', 'compensating')`,
    ),
  ]);
  return {
    byStatus: by.rows.map((r) => ({ saga: r.saga, status: r.status, n: Number(r.n) })),
    oldestRunningAgeS: oldest.rows[0]?.age ?? 0,
  };
}
