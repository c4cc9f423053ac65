import type { MigrationSet } from '@outrig/db';

/**
 * The saga tables (apply after `outboxMigrations` and `inboxMigrations`):
 * - `saga_instance`: one row per instance, `UNIQUE (saga, saga_key)` — one instance per key;
 * - `saga_history`: append-only (a trigger refuses UPDATE and DELETE — except the DELETE of
 *   `cleanupSagas`, the retention of finished instances), one row per transition;
 * - `saga_timer`: at most one timer per (instance, name), replaced or deleted under the
 *   instance's lock, fired by the poller on the database clock;
 * - `saga_parked`: messages not accepted (late, unexpected, for no instance), kept with a reason;
 * - `saga_request`: operator actions (retry, abort, resume) recorded by `requestSagaAction` (the
 *   CLI, which has no definitions), carried out by the runtime that runs the saga.
 *
 * @example
 * await migrate(sql, [outboxMigrations, inboxMigrations, sagaMigrations]);
 */
export const sagaMigrations: MigrationSet = {
  name: 'outrig/sagas',
  migrations: [
    {
      id: '0001_sagas',
      sql: `
CREATE TABLE saga_instance (
  id uuid PRIMARY KEY,
  saga text NOT NULL,
  version int NOT NULL,
  saga_key text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'compensating', 'completed', 'compensated', 'compensation_failed')),
  state jsonb NOT NULL,
  revision int NOT NULL,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT saga_instance_key UNIQUE (saga, saga_key)
);
CREATE INDEX saga_instance_open_idx ON saga_instance (saga, version, started_at)
  WHERE status IN ('running', 'compensating', 'compensation_failed');
CREATE TABLE saga_history (
  instance_id uuid NOT NULL REFERENCES saga_instance (id),
  seq int NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  kind text NOT NULL,
  from_status text,
  to_status text NOT NULL,
  step int NOT NULL,
  phase text NOT NULL,
  attempt int NOT NULL,
  message_id text,
  detail jsonb,
  PRIMARY KEY (instance_id, seq)
);
CREATE FUNCTION outrig_saga_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'saga_history is append-only';
END
$$;
CREATE TRIGGER saga_history_append_only BEFORE UPDATE OR DELETE ON saga_history
  FOR EACH ROW EXECUTE FUNCTION outrig_saga_history_append_only();
CREATE TABLE saga_timer (
  instance_id uuid NOT NULL REFERENCES saga_instance (id),
  name text NOT NULL,
  token text NOT NULL,
  due_at timestamptz NOT NULL,
  traceparent text,
  PRIMARY KEY (instance_id, name)
);
CREATE INDEX saga_timer_due_idx ON saga_timer (due_at);
CREATE TABLE saga_parked (
  id bigserial PRIMARY KEY,
  saga text,
  instance_id uuid,
  event_id text NOT NULL,
  event_type text NOT NULL,
  reason text NOT NULL,
  event jsonb NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX saga_parked_instance_idx ON saga_parked (instance_id);
`,
    },
    {
      id: '0002_saga_requests',
      sql: `
CREATE TABLE saga_request (
  id bigserial PRIMARY KEY,
  instance_id uuid NOT NULL REFERENCES saga_instance (id),
  saga text NOT NULL,
  action text NOT NULL CHECK (action IN ('retry', 'abort', 'resume')),
  reason text,
  requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  handled_at timestamptz,
  outcome text,
  error_code text,
  error_message text
);
CREATE INDEX saga_request_open_idx ON saga_request (id) WHERE handled_at IS NULL;
`,
    },
    {
      // Retention (cleanupSagas): the history stays append-only, except for a DELETE inside the
      // cleanup's own transaction, which sets outrig.saga_retention locally.
      id: '0003_saga_retention',
      sql: `
CREATE OR REPLACE FUNCTION outrig_saga_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('outrig.saga_retention', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'saga_history is append-only';
END
$$;
CREATE INDEX saga_instance_finished_idx ON saga_instance (updated_at)
  WHERE status IN ('completed', 'compensated');
`,
    },
  ],
};
