import type { MigrationSet } from '@outrig/db';

/** The NOTIFY channel the outbox signals on after a transaction inserts rows (a hint only). */
export const OUTBOX_CHANNEL = 'outrig_outbox';

/**
 * Transaction-local setting that, set to `'off'`, keeps the `outbox_notify` trigger from notifying
 * in this transaction (the unit of work notifies after its commit instead).
 */
export const OUTBOX_NOTIFY_SETTING = 'outrig.outbox_notify';

/** Partitions the outbox is split into for relay leases, unless changed in `outbox_settings`. */
export const DEFAULT_OUTBOX_PARTITIONS = 64;

const schema = `
-- A UUIDv7 (RFC 9562) made in SQL: PostgreSQL 15 has none built in. 48-bit Unix ms time from
-- clock_timestamp(), then a random v4 with its version nibble turned into 7.
CREATE FUNCTION outrig_uuidv7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
    PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
    FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

-- One row. The partition count lives in the database so that every writer (JS or trigger) and
-- every relay agree on it. Change it only while the outbox has no pending or parked rows: all
-- rows of one aggregate must be in one partition for the relay to keep their order.
CREATE TABLE outbox_settings (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  partitions int NOT NULL CHECK (partitions BETWEEN 1 AND 4096)
);
INSERT INTO outbox_settings (partitions) VALUES (${DEFAULT_OUTBOX_PARTITIONS});

-- hash(key) % P with a hash that is defined (md5), unlike hashtext() which may change.
CREATE FUNCTION outrig_outbox_partition(key text) RETURNS int LANGUAGE sql STABLE AS $$
  SELECT (('x' || substr(md5(key), 1, 8))::bit(32)::bigint % (SELECT partitions FROM outbox_settings))::int
$$;

CREATE TABLE outbox (
  id uuid PRIMARY KEY,
  seq bigserial NOT NULL,
  topic text NOT NULL,
  partition_key text NOT NULL,
  partition int NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id text NOT NULL,
  aggregate_version bigint NOT NULL,
  event jsonb NOT NULL,
  traceparent text,
  tracestate text,
  baggage text,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'parked', 'skipped')),
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at timestamptz,
  CONSTRAINT outbox_aggregate_version_key UNIQUE (aggregate_type, aggregate_id, aggregate_version)
);
-- The relay's fetch: pending rows in commit-visible seq order.
CREATE INDEX outbox_pending_idx ON outbox (seq) INCLUDE (partition, next_attempt_at) WHERE state = 'pending';
-- Head-of-line check: is an earlier version of this aggregate still open? Small: open rows only.
CREATE INDEX outbox_open_idx ON outbox (aggregate_type, aggregate_id, aggregate_version)
  WHERE state IN ('pending', 'parked');
-- The table churns (insert, update, delete): vacuum it early rather than at 20% dead tuples.
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- Last version per aggregate. Assigning a version takes this row's lock until commit, so the
-- next writer of the same aggregate gets v+1 only after v committed: commit order = version order.
CREATE TABLE outbox_aggregate (
  aggregate_type text NOT NULL,
  aggregate_id text NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Relay leases: one row per partition. epoch grows on every change of owner; marks are fenced by it.
CREATE TABLE outbox_lease (
  partition int PRIMARY KEY,
  owner text,
  epoch bigint NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL DEFAULT '-infinity'
);

-- Live relays (heartbeats), so each can take its fair share: ceil(P / live relays).
CREATE TABLE outbox_relay (
  id text PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at timestamptz NOT NULL
);

-- One NOTIFY per transaction (same channel and payload are folded at commit): a wake-up hint.
CREATE FUNCTION outrig_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${OUTBOX_CHANNEL}', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outrig_outbox_notify();
`;

const capture = `
-- Row-level capture for outbox-enabled tables (see outboxTriggerMigration). Arguments:
-- aggregate type, id column, source, topic ('' = <aggregate type>.events).
CREATE FUNCTION outrig_outbox_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  agg_type text := TG_ARGV[0];
  src text := TG_ARGV[2];
  topic text := coalesce(nullif(TG_ARGV[3], ''), TG_ARGV[0] || '.events');
  body jsonb;
  agg_id text;
  ver bigint;
  eid uuid := outrig_uuidv7();
  tp text := nullif(current_setting('outrig.traceparent', true), '');
  ts text := nullif(current_setting('outrig.tracestate', true), '');
  bg text := nullif(current_setting('outrig.baggage', true), '');
  envelope jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    body := to_jsonb(OLD);
  ELSE
    body := to_jsonb(NEW);
    -- An update that changes nothing is not an event.
    IF TG_OP = 'UPDATE' AND body = to_jsonb(OLD) THEN
      RETURN NULL;
    END IF;
  END IF;
  agg_id := body ->> TG_ARGV[1];
  IF agg_id IS NULL THEN
    RAISE EXCEPTION 'outrig outbox capture: column % of % is null or missing', TG_ARGV[1], TG_TABLE_NAME;
  END IF;
  INSERT INTO outbox_aggregate AS a (aggregate_type, aggregate_id, version) VALUES (agg_type, agg_id, 1)
  ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = a.version + 1
  RETURNING a.version INTO ver;
  envelope := jsonb_strip_nulls(jsonb_build_object(
    'specversion', '1.0',
    'id', eid,
    'source', src,
    'type', agg_type || CASE TG_OP WHEN 'INSERT' THEN '.created' WHEN 'UPDATE' THEN '.updated' ELSE '.deleted' END,
    'subject', agg_id,
    'time', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'datacontenttype', 'application/json',
    'aggregatetype', agg_type,
    'aggregateversion', ver,
    'traceparent', tp,
    'tracestate', ts,
    'baggage', bg,
    'correlationid', nullif(current_setting('outrig.correlationid', true), ''),
    'causationid', nullif(current_setting('outrig.causationid', true), '')));
  INSERT INTO outbox (id, topic, partition_key, partition, aggregate_type, aggregate_id, aggregate_version,
                      event, traceparent, tracestate, baggage)
  VALUES (eid, topic, agg_id, outrig_outbox_partition(agg_id), agg_type, agg_id, ver,
          envelope || jsonb_build_object('data', body), tp, ts, bg);
  RETURN NULL;
END
$$;
`;

// The trigger's NOTIFY takes PostgreSQL's cluster-wide notify lock inside every producing
// commit. A unit of work the kit commits itself turns it off for its own transaction
// (`outrig.outbox_notify = 'off'`, transaction-local, set inside its write statement) and sends
// one coalesced NOTIFY after commit instead (see commit-notify.ts). Every other insert (joined
// transactions the caller commits, capture triggers outside a unit of work) still notifies here.
const notifySetting = `
CREATE OR REPLACE FUNCTION outrig_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('${OUTBOX_NOTIFY_SETTING}', true) IS DISTINCT FROM 'off' THEN
    PERFORM pg_notify('${OUTBOX_CHANNEL}', '');
  END IF;
  RETURN NULL;
END
$$;
`;

// The event is stored as json (text checked for syntax), not jsonb: the kit writes it once and
// the relay reads it once, and parsing it into jsonb (and merging the version in) was about a
// quarter of the database's CPU for a one-event unit of work (bench:outbox).
const eventJson = `
ALTER TABLE outbox ALTER COLUMN event TYPE json USING event::json;
`;

/**
 * The outbox schema, as a migration set for `@outrig/db`'s `migrate()`: tables `outbox`,
 * `outbox_aggregate` (versions), `outbox_lease` and `outbox_relay` (relay coordination),
 * `outbox_settings` (partition count), the `outrig_uuidv7()` function, the statement-level NOTIFY
 * trigger and the `outrig_outbox_capture()` trigger function used by
 * {@link outboxTriggerMigration}. Apply it before any service migration that captures a table.
 *
 * @example
 * await migrate(sql, [outboxMigrations, serviceMigrations]);
 */
export const outboxMigrations: MigrationSet = {
  name: 'outrig/outbox',
  migrations: [
    { id: '0001_outbox', sql: schema },
    { id: '0002_outbox_capture', sql: capture },
    { id: '0003_outbox_notify_setting', sql: notifySetting },
    { id: '0004_outbox_event_json', sql: eventJson },
  ],
};
