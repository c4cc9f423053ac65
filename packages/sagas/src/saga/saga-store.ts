import type { SqlQueryable, SqlTransaction } from '@outrig/db';
import type { CloudEvent } from '@outrig/messaging';
import type {
  PlannedTimer,
  SagaHistoryEntry,
  SagaInstance,
  SagaState,
  SagaStatus,
} from './saga-transition.ts';

/** An instance row with its revision (= the seq of its latest history entry). */
export interface StoredInstance extends SagaInstance {
  readonly revision: number;
}

interface InstanceRow {
  id: string;
  saga: string;
  version: number;
  saga_key: string;
  status: SagaStatus;
  state: SagaState;
  revision: number;
}

const COLUMNS = 'id::text AS id, saga, version, saga_key, status, state, revision';

function fromRow(r: InstanceRow): StoredInstance {
  return {
    id: r.id,
    saga: r.saga,
    version: r.version,
    key: r.saga_key,
    status: r.status,
    state: r.state,
    revision: r.revision,
  };
}

/** Locks an instance row (`FOR UPDATE`): every change of an instance and its timers happens under it. */
export async function lockInstance(tx: SqlTransaction, id: string): Promise<StoredInstance | undefined> {
  const res = await tx.query<InstanceRow>(
    `SELECT ${COLUMNS} FROM saga_instance WHERE id = $1 FOR UPDATE`,
    [id],
    {
      name: 'outrig_saga_lock_v1',
    },
  );
  return res.rows[0] ? fromRow(res.rows[0]) : undefined;
}

/** Inserts a new instance at revision 1; false when its key already has one (nothing written). */
export async function insertInstance(
  tx: SqlTransaction,
  inst: SagaInstance,
  entry: SagaHistoryEntry,
): Promise<boolean> {
  const res = await tx.query(
    `WITH i AS (
       INSERT INTO saga_instance (id, saga, version, saga_key, status, state, revision)
       VALUES ($1, $2, $3, $4, $5, $6, 1)
       -- No arbiter: the id is derived from (saga, key), so a concurrent start conflicts on both
       -- unique indexes, and naming one would turn a conflict on the other into an error.
       ON CONFLICT DO NOTHING
       RETURNING id
     )
     INSERT INTO saga_history (instance_id, seq, kind, from_status, to_status, step, phase, attempt, message_id, detail)
     SELECT i.id, 1, $7, NULL, $5, $8, $9, $10, $11, $12 FROM i
     RETURNING 1`,
    [
      inst.id,
      inst.saga,
      inst.version,
      inst.key,
      inst.status,
      JSON.stringify(inst.state),
      ...historyParams(entry),
    ],
    { name: 'outrig_saga_insert_v2' },
  );
  return res.rowCount === 1;
}

/** Writes the new status and state and appends the history entry (seq = the new revision). */
export async function updateInstance(
  tx: SqlTransaction,
  id: string,
  status: SagaStatus,
  state: SagaState,
  entry: SagaHistoryEntry,
): Promise<number> {
  const res = await tx.query<{ revision: number }>(
    `WITH u AS (
       UPDATE saga_instance SET status = $2, state = $3, revision = revision + 1, updated_at = clock_timestamp()
       WHERE id = $1 RETURNING id, revision
     )
     INSERT INTO saga_history (instance_id, seq, kind, from_status, to_status, step, phase, attempt, message_id, detail)
     SELECT u.id, u.revision, $4, $5, $6, $7, $8, $9, $10, $11 FROM u
     RETURNING seq AS revision`,
    [id, status, JSON.stringify(state), entry.kind, entry.from, ...historyTail(entry)],
    { name: 'outrig_saga_update_v1' },
  );
  return res.rows[0]?.revision ?? 0;
}

function historyParams(e: SagaHistoryEntry): unknown[] {
  return [
    e.kind,
    e.step,
    e.phase,
    e.attempt,
    e.messageId ?? null,
    e.detail === undefined ? null : JSON.stringify(e.detail),
  ];
}

/** to_status, step, phase, attempt, message_id, detail. */
function historyTail(e: SagaHistoryEntry): unknown[] {
  return [
    e.to,
    e.step,
    e.phase,
    e.attempt,
    e.messageId ?? null,
    e.detail === undefined ? null : JSON.stringify(e.detail),
  ];
}

/** Cancels and (re)arms timers of an instance, due on the database clock. */
export async function changeTimers(
  tx: SqlTransaction,
  id: string,
  set: readonly PlannedTimer[],
  cancel: readonly string[],
  traceparent: string | undefined,
): Promise<void> {
  if (cancel.length > 0) {
    await tx.query('DELETE FROM saga_timer WHERE instance_id = $1 AND name = ANY($2::text[])', [id, cancel], {
      name: 'outrig_saga_timer_cancel_v1',
    });
  }
  if (set.length > 0) {
    await tx.query(
      `INSERT INTO saga_timer (instance_id, name, token, due_at, traceparent)
       SELECT $1, t.name, t.token, clock_timestamp() + make_interval(secs => t.ms / 1000.0), $5
       FROM unnest($2::text[], $3::text[], $4::float8[]) AS t(name, token, ms)
       ON CONFLICT (instance_id, name) DO UPDATE
         SET token = excluded.token, due_at = excluded.due_at, traceparent = excluded.traceparent`,
      [id, set.map((t) => t.name), set.map((t) => t.token), set.map((t) => t.dueInMs), traceparent ?? null],
      { name: 'outrig_saga_timer_set_v1' },
    );
  }
}

/** Keeps a message that was not accepted, with its reason. */
export async function parkMessage(
  tx: SqlQueryable,
  saga: string | null,
  instanceId: string | null,
  event: CloudEvent,
  reason: string,
): Promise<void> {
  await tx.query(
    `INSERT INTO saga_parked (saga, instance_id, event_id, event_type, reason, event)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [saga, instanceId, String(event.id), String(event.type), reason, JSON.stringify(event)],
  );
}

/** A due timer, its instance locked (`SKIP LOCKED`: a busy instance is left for later). */
export interface DueTimer {
  readonly instance: StoredInstance;
  readonly name: string;
  readonly token: string;
  readonly traceparent: string | null;
  /** How late it fires, on the database clock. */
  readonly lagMs: number;
}

/**
 * Claims one due timer: locks its instance first (the lock order every transition uses, so the
 * poller never deadlocks with a reply), then deletes the timer row. Undefined when none is due.
 */
export async function claimDueTimer(
  tx: SqlTransaction,
  sagas: readonly string[],
): Promise<DueTimer | 'busy' | undefined> {
  // Only timers of the sagas this process runs: another service's (or a retired saga's) timer
  // is left to the process that can handle it.
  const locked = await tx.query<{ id: string }>(
    `SELECT i.id::text AS id FROM saga_timer t JOIN saga_instance i ON i.id = t.instance_id
     WHERE t.due_at <= clock_timestamp() AND i.saga = ANY($1::text[])
     ORDER BY t.due_at LIMIT 1
     FOR UPDATE OF i SKIP LOCKED`,
    [sagas],
    { name: 'outrig_saga_due_v2' },
  );
  const id = locked.rows[0]?.id;
  if (id === undefined) return undefined;
  // A new statement, so a new snapshot: it sees the timers as the last transition under this
  // lock left them (a timer re-armed meanwhile is not due, a cancelled one is gone).
  const res = await tx.query<
    InstanceRow & { name: string; token: string; traceparent: string | null; lag_ms: number }
  >(
    `WITH t AS (
       DELETE FROM saga_timer WHERE instance_id = $1 AND name = (
         SELECT name FROM saga_timer WHERE instance_id = $1 AND due_at <= clock_timestamp() ORDER BY due_at LIMIT 1)
       RETURNING instance_id, name, token, traceparent, due_at
     )
     SELECT i.id::text AS id, i.saga, i.version, i.saga_key, i.status, i.state, i.revision,
            t.name, t.token, t.traceparent,
            (extract(epoch FROM clock_timestamp() - t.due_at) * 1000)::float8 AS lag_ms
     FROM t JOIN saga_instance i ON i.id = t.instance_id`,
    [id],
    { name: 'outrig_saga_claim_timer_v2' },
  );
  const r = res.rows[0];
  if (!r) return 'busy';
  return {
    instance: fromRow(r),
    name: r.name,
    token: r.token,
    traceparent: r.traceparent,
    lagMs: Math.max(0, r.lag_ms),
  };
}
