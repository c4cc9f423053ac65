import type { MigrationSet } from '@outrig/db';

/**
 * The projection bookkeeping: which generation of each projection is live (its view points
 * there), which is being rebuilt, and a checkpoint per (generation, topic, partition) of the
 * postgres transport's log — written in the same transaction as the projection's rows.
 *
 * @example
 * await migrate(sql, [projectionMigrations]);
 */
export const projectionMigrations: MigrationSet = {
  name: 'outrig/projections',
  migrations: [
    {
      id: '0001_projections',
      sql: `
CREATE TABLE projection_state (
  name text PRIMARY KEY,
  live_generation int NOT NULL,
  rebuilding_generation int,
  rebuild_started_at timestamptz,
  swapped_at timestamptz
);
CREATE TABLE projection_checkpoint (
  name text NOT NULL,
  generation int NOT NULL,
  topic text NOT NULL,
  partition int NOT NULL,
  "offset" bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (name, generation, topic, partition)
) WITH (fillfactor = 50);
`,
    },
  ],
};
