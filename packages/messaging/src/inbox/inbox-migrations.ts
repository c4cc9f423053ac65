import type { MigrationSet } from '@outrig/db';

/**
 * The `inbox` table: one row per event a consumer group has handled, written in the handler's
 * own transaction so that an event's side effects and its "handled" mark commit together.
 *
 * `aggregate_id` and `event_type` are kept for operators (what was handled, per aggregate); the
 * `handled_at` index serves {@link cleanupInbox}. `handled_at` uses `clock_timestamp()` (the
 * real time of the insert, not the transaction start) so retention is measured from the DB clock.
 *
 * @example
 * await migrate(sql, [outboxMigrations, inboxMigrations]);
 */
export const inboxMigrations: MigrationSet = {
  name: 'outrig/inbox',
  migrations: [
    {
      id: '0001_inbox',
      sql: `
CREATE TABLE inbox (
  consumer_group text NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  aggregate_id text,
  handled_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consumer_group, event_id)
) WITH (autovacuum_vacuum_scale_factor = 0.05);
CREATE INDEX inbox_handled_at_idx ON inbox (handled_at);
`,
    },
    {
      // Handler starts of redelivered events, counted in the database so that a message that
      // crashes its consumer process is recognised whoever receives it next — without blaming
      // the innocent messages that were merely in flight (the broker's delivery count does).
      id: '0002_inbox_starts',
      sql: `
CREATE TABLE inbox_starts (
  consumer_group text NOT NULL,
  event_id uuid NOT NULL,
  starts integer NOT NULL,
  last_started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consumer_group, event_id)
);
`,
    },
  ],
};
