import type { SqlClient } from '@outrig/db';
import { PostgresBusErrors } from '../errors.ts';

/** Bumped when the schema changes: a new step in {@link schemaSteps}, never an edit of an old one. */
export const SCHEMA_VERSION = 4;

/**
 * The bus tables. Every statement is idempotent, so the same text serves the automatic
 * creation and the exported MigrationSet. The hot, small tables (heads, group_partitions,
 * members) get a low fillfactor so their frequent updates stay HOT and cheap to vacuum.
 */
export function schemaDdl(schema: string): string {
  const s = `"${schema}"`;
  return `
create schema if not exists ${s};
create table if not exists ${s}.meta (key text primary key, value text not null);
create table if not exists ${s}.topics (
  topic text primary key,
  partitions int not null check (partitions > 0),
  created_at timestamptz not null default clock_timestamp()
);
create table if not exists ${s}.heads (
  topic text not null,
  partition int not null,
  next_offset bigint not null default 1,
  primary key (topic, partition)
) with (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.01);
create table if not exists ${s}.log (
  topic text not null,
  partition int not null,
  "offset" bigint not null,
  key text not null,
  event_id text not null,
  event jsonb not null,
  published_at timestamptz not null default clock_timestamp(),
  primary key (topic, partition, "offset")
) with (autovacuum_vacuum_scale_factor = 0.05);
create unique index if not exists log_topic_event_id on ${s}.log (topic, event_id);
create table if not exists ${s}.members (
  grp text not null,
  member_id text not null,
  topics text[] not null,
  expires_at timestamptz not null,
  primary key (grp, member_id)
) with (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.01);
create table if not exists ${s}.group_partitions (
  grp text not null,
  topic text not null,
  partition int not null,
  committed bigint not null,
  inflight jsonb not null default '{}',
  owner text,
  epoch bigint not null default 0,
  expires_at timestamptz,
  primary key (grp, topic, partition)
) with (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.01);
insert into ${s}.meta (key, value) values ('version', '1') on conflict (key) do nothing;
`;
}

/**
 * Version 2: the log keeps the transport headers of a message (`{"traceparent": …}`: the trace
 * context of the relay's publish span), null when there are none.
 */
export function schemaHeadersDdl(schema: string): string {
  const s = `"${schema}"`;
  return `
alter table ${s}.log add column if not exists headers jsonb;
update ${s}.meta set value = '2' where key = 'version' and value::int < 2;
`;
}

/**
 * Version 3: the log stores the event as json (its text, syntax-checked) instead of jsonb. The
 * bus never looks inside an event; parsing it into jsonb on publish and printing it back on
 * every fetch cost more database CPU than the rest of the publish (bench:outbox). Rewrites the
 * log once; a no-op when the column is already json.
 */
export function schemaEventJsonDdl(schema: string): string {
  const s = `"${schema}"`;
  const literal = `'${schema.replaceAll("'", "''")}'`;
  return `
do $$
begin
  if (select data_type from information_schema.columns
       where table_schema = ${literal} and table_name = 'log' and column_name = 'event') = 'jsonb' then
    alter table ${s}.log alter column event type json using event::json;
  end if;
end
$$;
update ${s}.meta set value = '3' where key = 'version' and value::int < 3;
`;
}

/**
 * Version 4: a group partition keeps the nack delays of its pending messages (`{"<offset>":
 * <epoch ms before which it is not redelivered>}`), so a restart or a new owner honours them.
 */
export function schemaNackDelaysDdl(schema: string): string {
  const s = `"${schema}"`;
  return `
alter table ${s}.group_partitions add column if not exists delays jsonb not null default '{}';
update ${s}.meta set value = '4' where key = 'version' and value::int < 4;
`;
}

/**
 * Every step, in order, with its migration id. The text of a step never changes once released
 * (migration checksums); each is idempotent, so a database the broker set up accepts them too.
 */
export function schemaSteps(schema: string): { id: string; sql: string }[] {
  return [
    { id: '0001_bus', sql: schemaDdl(schema) },
    { id: '0002_bus_headers', sql: schemaHeadersDdl(schema) },
    { id: '0003_bus_event_json', sql: schemaEventJsonDdl(schema) },
    { id: '0004_bus_nack_delays', sql: schemaNackDelaysDdl(schema) },
  ];
}

/**
 * Creates the schema unless it is already at {@link SCHEMA_VERSION}. Concurrent brokers
 * serialize on a transaction-scoped advisory lock, so two processes starting at once never race
 * on `create … if not exists` (which is not concurrency-safe on its own).
 */
export async function ensureSchema(sql: SqlClient, schema: string): Promise<void> {
  try {
    if (await isCurrent(sql, schema)) return;
    await sql.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`outrig-bus-schema:${schema}`]);
      for (const step of schemaSteps(schema)) await tx.query(step.sql);
    });
  } catch (err) {
    throw PostgresBusErrors.PGBUS_SCHEMA_FAILED({ params: { schema }, cause: err });
  }
}

async function isCurrent(sql: SqlClient, schema: string): Promise<boolean> {
  const found = await sql.query<{ t: string | null }>('select to_regclass($1)::text as t', [
    `"${schema}".meta`,
  ]);
  if (!found.rows[0]?.t) return false;
  const v = await sql.query<{ value: string }>(`select value from "${schema}".meta where key = 'version'`);
  return Number(v.rows[0]?.value ?? 0) >= SCHEMA_VERSION;
}
