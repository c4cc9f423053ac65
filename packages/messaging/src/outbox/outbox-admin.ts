import type { SqlQueryable } from '@outrig/db';
import { MessagingErrors } from '../errors.ts';
import { OUTBOX_CHANNEL } from './outbox-migrations.ts';

/** A point-in-time view of the outbox, for `outrig outbox status`, dashboards and alerts. */
export interface OutboxStatus {
  /** Rows waiting to be published (including those backing off after a failure). */
  readonly pending: number;
  /** Rows that exhausted their attempts; each blocks its aggregate until redriven or skipped. */
  readonly parked: number;
  /** Age of the oldest pending row on the database clock, or null when none is pending. */
  readonly oldestPendingAgeMs: number | null;
  /** Partition count (`outbox_settings`). */
  readonly partitions: number;
  /** Live relays and how many partitions each holds. */
  readonly relays: readonly { readonly id: string; readonly partitions: number }[];
}

/** One parked row, as listed by {@link listParked}. */
export interface ParkedEvent {
  readonly id: string;
  readonly type: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly aggregateVersion: number;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
}

/** Which parked rows {@link redriveParked} puts back: by id, one aggregate's, or all. */
export type RedriveFilter =
  | { readonly ids: readonly string[] }
  | { readonly aggregate: { readonly type: string; readonly id: string } }
  | { readonly all: true };

/**
 * Counts pending and parked rows, the oldest pending age, and the live relays.
 *
 * @example
 * const { pending, parked, oldestPendingAgeMs } = await outboxStatus(sql);
 */
export async function outboxStatus(sql: SqlQueryable): Promise<OutboxStatus> {
  const { rows } = await sql.query<{ pending: string; parked: string; oldest_ms: number | null; p: number }>(
    `SELECT (SELECT count(*) FROM outbox WHERE state = 'pending') AS pending,
            (SELECT count(*) FROM outbox WHERE state = 'parked') AS parked,
            (SELECT (extract(epoch FROM clock_timestamp() - created_at) * 1000)::float8 FROM outbox
              WHERE state = 'pending' ORDER BY seq LIMIT 1) AS oldest_ms,
            (SELECT partitions FROM outbox_settings) AS p`,
  );
  const relays = await sql.query<{ id: string; n: string }>(
    `SELECT r.id, count(l.partition) AS n FROM outbox_relay r
       LEFT JOIN outbox_lease l ON l.owner = r.id AND l.expires_at > clock_timestamp()
      WHERE r.expires_at > clock_timestamp() GROUP BY r.id ORDER BY r.id`,
  );
  const row = rows[0]!;
  return {
    pending: Number(row.pending),
    parked: Number(row.parked),
    oldestPendingAgeMs: row.oldest_ms === null ? null : Math.max(0, Math.round(row.oldest_ms)),
    partitions: row.p,
    relays: relays.rows.map((r) => ({ id: r.id, partitions: Number(r.n) })),
  };
}

/** Lists parked rows, oldest first. */
export async function listParked(
  sql: SqlQueryable,
  options: { limit?: number } = {},
): Promise<ParkedEvent[]> {
  const { rows } = await sql.query<Record<string, unknown>>(
    `SELECT id::text, event->>'type' AS type, aggregate_type, aggregate_id, aggregate_version, attempts,
            last_error, created_at
       FROM outbox WHERE state = 'parked' ORDER BY seq LIMIT $1`,
    [options.limit ?? 100],
  );
  return rows.map((r) => ({
    id: r.id as string,
    type: r.type as string,
    aggregateType: r.aggregate_type as string,
    aggregateId: r.aggregate_id as string,
    aggregateVersion: Number(r.aggregate_version),
    attempts: r.attempts as number,
    lastError: r.last_error as string | null,
    createdAt: r.created_at as Date,
  }));
}

/**
 * Puts parked rows back to pending with their attempts reset; the relay publishes them in
 * version order (later versions of the aggregate wait behind them as before). Returns the count.
 *
 * @example
 * await redriveParked(sql, { aggregate: { type: 'product', id: productId } });
 */
export async function redriveParked(sql: SqlQueryable, filter: RedriveFilter): Promise<number> {
  const [condition, params] = filterSql(filter);
  return resolveParked(
    sql,
    `state = 'pending', attempts = 0, next_attempt_at = clock_timestamp()`,
    condition,
    params,
  );
}

/**
 * Gives up on parked rows: they become `skipped`, are never published, and stop blocking their
 * aggregate's later events. Returns the count.
 */
export async function skipParked(sql: SqlQueryable, ids: readonly string[]): Promise<number> {
  const [condition, params] = filterSql({ ids });
  return resolveParked(sql, `state = 'skipped'`, condition, params);
}

/**
 * Changes parked rows, and releases the later events of their aggregates that the relay held
 * back (next_attempt_at moved out) so they go out now, in version order, behind them.
 */
async function resolveParked(
  sql: SqlQueryable,
  set: string,
  condition: string,
  params: unknown[],
): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    `WITH changed AS (
       UPDATE outbox SET ${set} WHERE state = 'parked' AND ${condition}
       RETURNING aggregate_type, aggregate_id),
     released AS (
       UPDATE outbox o SET next_attempt_at = clock_timestamp()
         FROM (SELECT DISTINCT aggregate_type, aggregate_id FROM changed) a
        WHERE o.aggregate_type = a.aggregate_type AND o.aggregate_id = a.aggregate_id
          AND o.state = 'pending' AND o.next_attempt_at > clock_timestamp())
     SELECT count(*)::int AS n FROM changed`,
    params,
  );
  const n = rows[0]?.n ?? 0;
  if (n > 0) await sql.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
  return n;
}

function filterSql(filter: RedriveFilter): [string, unknown[]] {
  if (filter && 'ids' in filter && Array.isArray(filter.ids)) return ['id = ANY($1::uuid[])', [filter.ids]];
  if (filter && 'aggregate' in filter && filter.aggregate) {
    return ['aggregate_type = $1 AND aggregate_id = $2', [filter.aggregate.type, filter.aggregate.id]];
  }
  if (filter && 'all' in filter && filter.all === true) return ['true', []];
  throw MessagingErrors.OUTBOX_OPTIONS_INVALID({
    params: { reason: 'say which parked rows: { ids }, { aggregate: { type, id } } or { all: true }' },
  });
}
