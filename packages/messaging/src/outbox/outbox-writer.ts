import type { SqlTransaction } from '@outrig/db';
import { type CloudEvent, defaultTopic } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';
import { inOutboxWriteSpan } from '../tracing/outbox-write-span.ts';
import { OUTBOX_NOTIFY_SETTING } from './outbox-migrations.ts';
import { activeTraceContext } from './trace-context.ts';

/** An event to write, with the topic it goes to when not `<aggregatetype>.events`. */
export type OutboxEntry = CloudEvent | { readonly event: CloudEvent; readonly topic?: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// One round trip: version assignment (row lock per aggregate, in a fixed order so two writers
// never deadlock each other) and the outbox insert, in seq order = input order.
const WRITE_SQL = `
WITH c AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS c(agg_type, agg_id, n, ord)
), v AS (
  INSERT INTO outbox_aggregate AS a (aggregate_type, aggregate_id, version)
  SELECT agg_type, agg_id, n FROM c ORDER BY ord
  ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = a.version + excluded.version
  RETURNING a.aggregate_type AS agg_type, a.aggregate_id AS agg_id, a.version AS last
), u AS (
  SELECT * FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[],
                       $10::text[], $11::text[], $12::text[])
    WITH ORDINALITY AS u(id, topic, agg_type, agg_id, rank, event, tp, ts, bg, ord)
), s AS MATERIALIZED (
  -- $13: 'off' when the kit commits this transaction itself and notifies after commit.
  SELECT partitions, set_config('${OUTBOX_NOTIFY_SETTING}', $13::text, true) AS notify FROM outbox_settings
)
INSERT INTO outbox (id, topic, partition_key, partition, aggregate_type, aggregate_id, aggregate_version,
                    event, traceparent, tracestate, baggage)
SELECT u.id, u.topic, u.agg_id,
       -- outrig_outbox_partition() inlined: the function call per row cost ~50 µs per write.
       (('x' || substr(md5(u.agg_id), 1, 8))::bit(32)::bigint % s.partitions)::int,
       u.agg_type, u.agg_id,
       v.last - c.n + u.rank,
       -- The event arrives as JSON text without aggregateversion: the version is spliced in before
       -- its closing brace (json, not jsonb: parsing into jsonb and merging cost ~90 µs per row).
       (left(u.event, -1) || ',"aggregateversion":' || (v.last - c.n + u.rank) || '}')::json,
       u.tp, u.ts, u.bg
FROM u JOIN c USING (agg_type, agg_id) JOIN v USING (agg_type, agg_id) CROSS JOIN s
ORDER BY u.ord
RETURNING id::text AS id, aggregate_version AS version
`;

/**
 * Inserts events into the outbox inside `tx`, assigning each its `aggregateversion` under the
 * aggregate's lock and attaching the trace context. Returns the events as stored.
 *
 * The write runs in an `outbox.write` span (child of the active context, e.g. the request span),
 * and the context stored on the rows and in the events is that span's: the relay's
 * `relay.publish` span becomes its child, so the trace continues across the hop.
 */
export async function writeOutbox(
  tx: SqlTransaction,
  entries: OutboxEntry | readonly OutboxEntry[],
): Promise<CloudEvent[]> {
  return writeOutboxRows(tx, entries, true);
}

/**
 * {@link writeOutbox}, saying whether the `outbox_notify` trigger should NOTIFY at commit
 * (`notify: false` only when the caller commits this transaction itself and notifies after).
 */
export async function writeOutboxRows(
  tx: SqlTransaction,
  entries: OutboxEntry | readonly OutboxEntry[],
  notify: boolean,
): Promise<CloudEvent[]> {
  if (tx?.inTransaction !== true) throw MessagingErrors.OUTBOX_NOT_IN_TRANSACTION();
  const list = (Array.isArray(entries) ? entries : [entries]) as readonly OutboxEntry[];
  if (list.length === 0) return [];
  const counts = new Map<string, { type: string; id: string; n: number }>();
  const rows = list.map((entry) => {
    const { event, topic } = 'specversion' in entry ? { event: entry, topic: undefined } : entry;
    const { type, id } = routeOf(event);
    const key = `${type}\u0000${id}`;
    const count = counts.get(key) ?? { type, id, n: 0 };
    count.n += 1;
    counts.set(key, count);
    return { event, topic: topic ?? defaultTopic(type), type, id, rank: count.n };
  });
  // A fixed global lock order (code-point order of type, then id) avoids writer-writer deadlocks.
  const aggregates = [...counts.values()].sort((a, b) =>
    a.type === b.type ? compare(a.id, b.id) : compare(a.type, b.type),
  );
  return inOutboxWriteSpan(rows, async () => {
    const trace = activeTraceContext();
    // The event's own context wins (it was captured where the event was made).
    const stored = rows.map(
      (r): CloudEvent => (r.event.traceparent === undefined ? { ...r.event, ...trace } : r.event),
    );
    const result = await tx.query<{ id: string; version: string }>(
      WRITE_SQL,
      [
        aggregates.map((a) => a.type),
        aggregates.map((a) => a.id),
        aggregates.map((a) => a.n),
        stored.map((e) => e.id),
        rows.map((r) => r.topic),
        rows.map((r) => r.type),
        rows.map((r) => r.id),
        rows.map((r) => r.rank),
        stored.map(eventJson),
        stored.map((e) => e.traceparent ?? null),
        stored.map((e) => e.tracestate ?? null),
        stored.map((e) => e.baggage ?? null),
        notify ? 'on' : 'off',
      ],
      WRITE_STATEMENT,
    );
    const versions = new Map(result.rows.map((r) => [r.id.toLowerCase(), Number(r.version)]));
    return stored.map((e) => ({ ...e, aggregateversion: versions.get(e.id.toLowerCase()) }));
  });
}

// Prepared once per connection: the statement is long and planning it cost more database CPU
// than executing it (bench:outbox diagnosis).
const WRITE_STATEMENT = { name: 'outrig_outbox_write_v4' };

/** The event as a JSON object text without `aggregateversion` (the write adds it). */
function eventJson(event: CloudEvent): string {
  if (event.aggregateversion === undefined) return JSON.stringify(event);
  const { aggregateversion: _, ...rest } = event;
  return JSON.stringify(rest);
}

function routeOf(event: CloudEvent): { type: string; id: string } {
  const unroutable = (reason: string) =>
    MessagingErrors.OUTBOX_EVENT_UNROUTABLE({ params: { id: String(event?.id), reason } });
  if (event === null || typeof event !== 'object') throw unroutable('not an event object');
  if (typeof event.id !== 'string' || !UUID.test(event.id)) throw unroutable('id must be a UUID (UUIDv7)');
  if (typeof event.type !== 'string' || event.type.length === 0) throw unroutable('type is missing');
  if (typeof event.aggregatetype !== 'string' || event.aggregatetype.length === 0) {
    throw unroutable('aggregatetype is missing');
  }
  if (typeof event.subject !== 'string' || event.subject.length === 0) {
    throw unroutable('subject (the aggregate id) is missing');
  }
  return { type: event.aggregatetype, id: event.subject };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
