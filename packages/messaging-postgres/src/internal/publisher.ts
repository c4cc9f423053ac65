import { createHash } from 'node:crypto';
import type { SqlQueryable } from '@outrig/db';
import type { OutgoingMessage, PublishResult } from '@outrig/messaging';
import { PostgresBusErrors } from '../errors.ts';

/** A message that passed validation, ready for {@link writeMessages}. */
export interface PreparedMessage {
  readonly index: number;
  readonly topic: string;
  readonly key: string;
  readonly eventId: string;
  readonly json: string;
  /** The message's `traceContext` as JSON (the log's `headers`), null without one. */
  readonly headers: string | null;
  partition: number;
}

/** Topic names travel in NOTIFY payloads separated by spaces, so they carry no whitespace. */
export const TOPIC_PATTERN = /^\S{1,200}$/;

/**
 * Checks each message on its own. A failed message also fails every later message with the same
 * key (the port's rule: a partial batch must never reorder a key).
 */
export function prepareBatch(messages: readonly OutgoingMessage[]): {
  prepared: PreparedMessage[];
  results: (PublishResult | undefined)[];
} {
  const results: (PublishResult | undefined)[] = new Array(messages.length).fill(undefined);
  const prepared: PreparedMessage[] = [];
  const failedKeys = new Set<string>();
  messages.forEach((m, index) => {
    const key = typeof m?.key === 'string' ? m.key : undefined;
    if (key !== undefined && failedKeys.has(key)) {
      results[index] = { ok: false, error: PostgresBusErrors.PGBUS_KEY_BLOCKED({ params: { key } }) };
      return;
    }
    const reason = invalidReason(m);
    const json = reason === undefined ? serialize(m.event) : undefined;
    if (reason !== undefined || typeof json !== 'string') {
      if (key !== undefined) failedKeys.add(key);
      const error = PostgresBusErrors.PGBUS_MESSAGE_INVALID({
        params: { index, reason: reason ?? (json as Error).message },
      });
      results[index] = { ok: false, error };
      return;
    }
    const headers = traceHeaders(m.traceContext);
    prepared.push({ index, topic: m.topic, key: m.key, eventId: m.event.id, json, headers, partition: -1 });
  });
  return { prepared, results };
}

/** The W3C fields of a trace context as a JSON object, or null when it has none. */
function traceHeaders(traceContext: OutgoingMessage['traceContext']): string | null {
  if (typeof traceContext?.traceparent !== 'string') return null;
  const { traceparent, tracestate, baggage } = traceContext;
  return JSON.stringify({ traceparent, tracestate, baggage });
}

function invalidReason(m: OutgoingMessage | undefined): string | undefined {
  if (typeof m !== 'object' || m === null) return 'not an object';
  if (typeof m.topic !== 'string' || !TOPIC_PATTERN.test(m.topic)) {
    return 'topic must be 1–200 characters without whitespace';
  }
  if (typeof m.key !== 'string') return 'key must be a string';
  const event = m.event as { id?: unknown } | null | undefined;
  if (typeof event !== 'object' || event === null) return 'event must be an object';
  if (typeof event.id !== 'string' || event.id.length === 0) return 'event.id must be a non-empty string';
  return undefined;
}

function serialize(event: unknown): string | Error {
  try {
    const json = JSON.stringify(event);
    // A NUL character cannot be read back as jsonb (`event->>…`, the v2 log); fail this message
    // alone instead of the whole batch.
    if (json.includes('\\u0000')) return new Error('event contains a NUL character (\\u0000)');
    return json;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * Appends the messages to the log in ONE statement (one round trip; on a pool it is its own
 * transaction, no BEGIN/COMMIT). Offsets come from the per-(topic, partition) head rows, locked
 * in the statement (sorted, so two batches never deadlock) and held until it commits: a later
 * writer of that partition waits for this one to end, so offsets become visible strictly in
 * offset order with no gaps a reader could skip. A re-published event id (per topic) is dropped
 * by the unique index: that is the broker-side dedupe. A missing head row fails the whole
 * statement (its offset is null), so a batch is written entirely or not at all.
 */
export async function writeMessages(
  sql: SqlQueryable,
  schema: string,
  messages: readonly PreparedMessage[],
  notifyChannel: string | undefined,
): Promise<void> {
  if (messages.length === 0) return;
  const s = `"${schema}"`;
  const topics = [...new Set(messages.map((m) => m.topic))];
  await sql.query(
    `with m as (
       select * from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::json[], $6::jsonb[])
         with ordinality m(topic, partition, key, event_id, event, headers, ord)
     ), locked as materialized (
       select h.topic, h.partition, h.next_offset from ${s}.heads h
       where (h.topic, h.partition) in (select topic, partition from m)
       order by h.topic, h.partition for update
     ), numbered as materialized (
       select m.*, l.next_offset + row_number() over (partition by m.topic, m.partition order by m.ord) - 1 as "offset"
       from m left join locked l on l.topic = m.topic and l.partition = m.partition
     ), ins as (
       insert into ${s}.log (topic, partition, "offset", key, event_id, event, headers)
       select topic, partition, "offset", key, event_id, event, headers from numbered order by ord
       on conflict (topic, event_id) do nothing
     ), upd as (
       update ${s}.heads h set next_offset = n.next
       from (select topic, partition, max("offset") + 1 as next from numbered group by 1, 2) n
       where h.topic = n.topic and h.partition = n.partition
     )
     select case when $7::text is null then null else pg_notify($7::text, $8::text) end`,
    [
      messages.map((m) => m.topic),
      messages.map((m) => m.partition),
      messages.map((m) => m.key),
      messages.map((m) => m.eventId),
      messages.map((m) => m.json),
      messages.map((m) => m.headers),
      notifyChannel ?? null,
      notifyPayload(topics),
    ],
    { name: `outrig_bus_publish_v2_${createHash('md5').update(schema).digest('hex').slice(0, 12)}` },
  );
}

/** Topics separated by spaces; `*` (wake every subscriber) when it would not fit a NOTIFY. */
export function notifyPayload(topics: readonly string[]): string {
  const payload = topics.join(' ');
  return Buffer.byteLength(payload) > 7000 ? '*' : payload;
}
