import type { SqlQueryable } from '@outrig/db';
import type { CloudEvent } from '../cloud-event.ts';
import type { OwnedLeases } from './relay-leases.ts';

/** One outbox row as the relay handles it. */
export interface RelayRow {
  readonly id: string;
  readonly topic: string;
  readonly key: string;
  readonly partition: number;
  readonly aggregate: string;
  readonly event: CloudEvent;
  readonly ageMs: number;
}

/** What happened to a claimed row: published, failed, or held back behind an earlier failure. */
export type RowOutcome = 'ok' | 'failed' | 'blocked';

const MS = `* interval '1 millisecond'`;

// The leases this relay holds with the epochs it believes current, locked FOR SHARE so that a
// takeover (which updates the lease row) waits for this statement, and this statement sees a
// committed takeover. Without a current epoch a partition's rows are not touched: fencing.
const MINE = `mine AS (
  SELECT l.partition FROM outbox_lease l
    JOIN unnest($1::int[], $2::bigint[]) AS m(partition, epoch) ON m.partition = l.partition
   WHERE l.owner = $3 AND l.epoch = m.epoch
  FOR SHARE OF l)`;

// "pending", spelled so that the planner cannot pick the pending partial index for a batch that
// is found by primary key: that index's row estimate is often stale on this churning table, and a
// plan built on it scanned every pending row (measured: 0.3 s per mark at 20 000 pending).
const PENDING = `o.state NOT IN ('delivered', 'parked', 'skipped')`;

const backoff = (attempts: string) =>
  `clock_timestamp() + least($5::float8, $4::float8 * power(2::float8, greatest(${attempts} - 1, 0)))
     * (0.5 + random() * 0.5) ${MS}`;

/** One fetch-and-claim: the rows to publish, and how many were held back or fenced. */
export interface ClaimedBatch {
  /** The due rows not held back (seq order), each with what the claim did to it. */
  readonly rows: ClaimedRow[];
  /** Rows held back behind an earlier version that is parked or backing off. */
  readonly held: number;
}

/**
 * A fetched row and its claim: `pending` = attempt counted, publish it; `parked` = attempts used
 * up; `undefined` = not claimed (its partition's lease moved on — fenced — or it left `pending`
 * meanwhile): not ours to touch.
 */
export interface ClaimedRow extends RelayRow {
  readonly state: 'pending' | 'parked' | undefined;
}

/**
 * One statement, one round trip: fetch the due rows, hold back the blocked ones, and claim the
 * rest (count the attempt), fenced by the lease epochs.
 *
 * Fetch — flag mode, no cursor, so a late commit is never skipped: the first `limit` due pending
 * rows of the owned partitions in seq order (= version order within an aggregate: versions are
 * assigned under the aggregate's lock, before the row's seq). A row with an earlier version of
 * its aggregate still parked or backing off is held back, and its next_attempt_at moved to when
 * that blocker may be retried, so held rows leave the front of the queue instead of clogging it
 * (a parked blocker: the backoff's `maxMs` from now; redrive and skip release them at once).
 *
 * Claim — counted before publishing (so a crash loop is visible and ends): attempts + 1 and
 * next_attempt_at pushed out by the backoff (so the row is not due again while it is being
 * published and marked). A row that already used every attempt without a recorded outcome (the
 * relay died each time) is parked instead. Only rows of partitions whose lease row still has
 * `owner = relayId AND epoch = ours` (locked FOR SHARE in the same statement) are claimed; rows of
 * other partitions come back unclaimed and are left alone.
 */
export async function claimDue(
  sql: SqlQueryable,
  relayId: string,
  leases: OwnedLeases,
  limit: number,
  config: { maxAttempts: number; baseMs: number; maxMs: number },
): Promise<ClaimedBatch> {
  const { rows } = await sql.query<Record<string, unknown>>(
    `WITH ${MINE},
     t AS MATERIALIZED (SELECT clock_timestamp() AS now),
     cand AS MATERIALIZED (
       SELECT o.id, o.seq, o.topic, o.partition_key, o.partition, o.aggregate_type, o.aggregate_id,
              o.aggregate_version, o.event, o.created_at
         FROM outbox o
        WHERE o.state = 'pending' AND o.partition = ANY($1::int[]) AND o.next_attempt_at <= (SELECT now FROM t)
        ORDER BY o.seq LIMIT $7),
     blockers AS MATERIALIZED (
       SELECT b.aggregate_type, b.aggregate_id, min(b.aggregate_version) AS first,
              max(CASE WHEN b.state = 'parked' THEN (SELECT now FROM t) + $5::float8 ${MS} ELSE b.next_attempt_at END) AS until
         FROM (SELECT aggregate_type, aggregate_id, max(aggregate_version) AS top FROM cand GROUP BY 1, 2) a
         JOIN outbox b ON b.aggregate_type = a.aggregate_type AND b.aggregate_id = a.aggregate_id
                      AND b.aggregate_version < a.top AND b.state IN ('pending', 'parked')
        WHERE b.state = 'parked' OR b.next_attempt_at > (SELECT now FROM t)
        GROUP BY 1, 2),
     judged AS MATERIALIZED (
       SELECT c.*, CASE WHEN c.aggregate_version > bl.first THEN bl.until END AS held_until
         FROM cand c LEFT JOIN blockers bl USING (aggregate_type, aggregate_id)),
     held AS (
       UPDATE outbox o SET next_attempt_at = j.held_until FROM judged j
        WHERE o.id = j.id AND j.held_until IS NOT NULL),
     claimed AS (
       UPDATE outbox o SET
         state = CASE WHEN o.attempts >= $6 THEN 'parked' ELSE 'pending' END,
         last_error = CASE WHEN o.attempts >= $6
                      THEN coalesce(o.last_error, 'attempts exhausted without an outcome (relay crash loop?)')
                      ELSE o.last_error END,
         attempts = CASE WHEN o.attempts >= $6 THEN o.attempts ELSE o.attempts + 1 END,
         next_attempt_at = ${backoff('(o.attempts + 1)')}
       WHERE o.id = ANY(ARRAY(SELECT id FROM judged WHERE held_until IS NULL))
         AND o.partition = ANY(ARRAY(SELECT partition FROM mine)) AND ${PENDING}
       RETURNING o.id, o.state)
     SELECT j.id::text AS id, j.topic, j.partition_key, j.partition, j.aggregate_type, j.aggregate_id,
            j.held_until IS NOT NULL AS held, c.state AS claimed,
            CASE WHEN c.state = 'pending' THEN j.event END AS event,
            (extract(epoch FROM (SELECT now FROM t) - j.created_at) * 1000)::float8 AS age_ms
       FROM judged j LEFT JOIN claimed c ON c.id = j.id ORDER BY j.seq`,
    [...leaseParams(relayId, leases), config.baseMs, config.maxMs, config.maxAttempts, limit],
  );
  let held = 0;
  const claimed: ClaimedRow[] = [];
  for (const r of rows) {
    if (r.held === true) held++;
    else
      claimed.push({
        id: r.id as string,
        topic: r.topic as string,
        key: r.partition_key as string,
        partition: r.partition as number,
        aggregate: `${r.aggregate_type}\u0000${r.aggregate_id}`,
        event: r.event as CloudEvent,
        ageMs: Math.max(0, r.age_ms as number),
        state: (r.claimed ?? undefined) as ClaimedRow['state'],
      });
  }
  return { rows: claimed, held };
}

/**
 * Records outcomes in one short fenced statement: `ok` → delivered; `failed` → pending with a
 * jittered backoff, or parked when attempts are used up; `blocked` → the attempt is given back.
 * Returns how many rows were marked and how many of them were parked.
 */
export async function markBatch(
  sql: SqlQueryable,
  relayId: string,
  leases: OwnedLeases,
  outcomes: { id: string; outcome: RowOutcome; error?: string }[],
  config: { maxAttempts: number; baseMs: number; maxMs: number },
): Promise<{ marked: number; parked: number }> {
  const { rows } = await sql.query<{ state: string }>(
    `WITH ${MINE},
     r AS (SELECT * FROM unnest($7::uuid[], $8::text[], $9::text[]) AS r(id, outcome, error))
     UPDATE outbox o SET
       state = CASE WHEN r.outcome = 'ok' THEN 'delivered'
                    WHEN r.outcome = 'failed' AND o.attempts >= $6 THEN 'parked' ELSE 'pending' END,
       published_at = CASE WHEN r.outcome = 'ok' THEN clock_timestamp() ELSE o.published_at END,
       attempts = CASE WHEN r.outcome = 'blocked' THEN greatest(o.attempts - 1, 0) ELSE o.attempts END,
       last_error = CASE WHEN r.outcome = 'failed' THEN r.error ELSE o.last_error END,
       next_attempt_at = CASE WHEN r.outcome = 'failed' THEN ${backoff('o.attempts')}
                              WHEN r.outcome = 'blocked' THEN clock_timestamp() ELSE o.next_attempt_at END
      FROM r
     WHERE o.id = r.id AND o.partition = ANY(ARRAY(SELECT partition FROM mine)) AND ${PENDING}
     RETURNING o.state`,
    [
      ...leaseParams(relayId, leases),
      config.baseMs,
      config.maxMs,
      config.maxAttempts,
      outcomes.map((o) => o.id),
      outcomes.map((o) => o.outcome),
      outcomes.map((o) => o.error ?? null),
    ],
  );
  return { marked: rows.length, parked: rows.filter((r) => r.state === 'parked').length };
}

/**
 * Deletes up to `limit` delivered/skipped rows older than the retention. Scans the primary key
 * below the UUIDv7 of the cutoff time, so it never walks the recent part of the table.
 */
export async function deleteExpired(sql: SqlQueryable, retentionMs: number, limit: number): Promise<number> {
  const result = await sql.query(
    `WITH cutoff AS (SELECT clock_timestamp() - $1 ${MS} AS t)
     DELETE FROM outbox WHERE id IN (
       SELECT o.id FROM outbox o, cutoff
        WHERE o.id < encode(substring(int8send(floor(extract(epoch FROM cutoff.t) * 1000)::bigint) FROM 3)
                            || decode('00000000000000000000', 'hex'), 'hex')::uuid
          AND o.state IN ('delivered', 'skipped') AND coalesce(o.published_at, o.created_at) < cutoff.t
        LIMIT $2)`,
    [retentionMs, limit],
  );
  return result.rowCount;
}

function leaseParams(relayId: string, leases: OwnedLeases): unknown[] {
  return [[...leases.keys()], [...leases.values()], relayId];
}
