import type { SqlTransaction } from '@outrig/db';
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
    // jsonb refuses the NUL character; fail this message alone instead of the whole batch.
    if (json.includes('\\u0000')) return new Error('event contains a NUL character (\\u0000)');
    return json;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * Appends the messages to the log inside `tx`. Offsets come from the per-(topic, partition) head
 * row, locked here and held until commit: a later writer of that partition waits for this
 * transaction to end, so offsets become visible strictly in offset order with no gaps a reader
 * could skip. Heads are locked in sorted order so two batches never deadlock. A re-published
 * event id (per topic) is dropped by the unique index: that is the broker-side dedupe.
 */
export async function writeMessages(
  tx: SqlTransaction,
  schema: string,
  messages: readonly PreparedMessage[],
  notifyChannel: string | undefined,
): Promise<void> {
  if (messages.length === 0) return;
  const s = `"${schema}"`;
  const pairs = new Map<string, { topic: string; partition: number; next: number }>();
  for (const m of messages)
    pairs.set(pairKey(m.topic, m.partition), { topic: m.topic, partition: m.partition, next: 0 });
  const wanted = [...pairs.values()];
  const locked = await tx.query<{ topic: string; partition: number; next_offset: string }>(
    `select topic, partition, next_offset from ${s}.heads
     where (topic, partition) in (select * from unnest($1::text[], $2::int[]))
     order by topic, partition for update`,
    [wanted.map((p) => p.topic), wanted.map((p) => p.partition)],
  );
  for (const row of locked.rows) {
    const pair = pairs.get(pairKey(row.topic, row.partition));
    if (pair) pair.next = Number(row.next_offset);
  }
  const offsets = messages.map((m) => {
    const pair = pairs.get(pairKey(m.topic, m.partition));
    if (!pair || pair.next === 0) throw new Error(`no head row for ${m.topic}/${m.partition}`);
    return pair.next++;
  });
  const topics = [...new Set(messages.map((m) => m.topic))];
  await tx.query(
    `with ins as (
       insert into ${s}.log (topic, partition, "offset", key, event_id, event, headers)
       select * from unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::jsonb[], $12::jsonb[])
       on conflict (topic, event_id) do nothing
     ), upd as (
       update ${s}.heads h set next_offset = v.next
       from unnest($7::text[], $8::int[], $9::bigint[]) v(topic, partition, next)
       where h.topic = v.topic and h.partition = v.partition
     )
     select case when $10::text is null then null else pg_notify($10::text, $11::text) end`,
    [
      messages.map((m) => m.topic),
      messages.map((m) => m.partition),
      offsets,
      messages.map((m) => m.key),
      messages.map((m) => m.eventId),
      messages.map((m) => m.json),
      wanted.map((p) => p.topic),
      wanted.map((p) => p.partition),
      wanted.map((p) => p.next),
      notifyChannel ?? null,
      notifyPayload(topics),
      messages.map((m) => m.headers),
    ],
  );
}

/** Topics separated by spaces; `*` (wake every subscriber) when it would not fit a NOTIFY. */
export function notifyPayload(topics: readonly string[]): string {
  const payload = topics.join(' ');
  return Buffer.byteLength(payload) > 7000 ? '*' : payload;
}

function pairKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}
