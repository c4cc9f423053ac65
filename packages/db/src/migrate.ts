import { DbErrors } from './errors.ts';
import {
  type AppliedRow,
  mismatchError,
  type PlannedMigration,
  planMigrations,
  problemsOf,
  validateSets,
} from './internal/migration-plan.ts';
import type { MigrationSet, MigrationStatus } from './migration.ts';
import type { SqlClient, SqlQueryable, SqlTransaction } from './sql-client.ts';

export interface MigrateOptions {
  /** How long to wait for another migrator (another process starting) to finish. Default 300 000 ms. */
  lockTimeoutMs?: number;
  /** Called after each migration has committed (for progress logs). */
  onApplied?: (applied: { set: string; id: string; durationMs: number }) => void;
}

export interface MigrateResult {
  /** What this call applied, in order (empty when the database was up to date). */
  applied: Array<{ set: string; id: string }>;
}

const defaults = { lockTimeoutMs: 300_000 } as const;

/** One key for every Outrig migrator of a database (advisory locks are per database). */
const LOCK_KEY = '7310582846213398051';

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS outrig_migrations (
  set_name text NOT NULL,
  id text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (set_name, id)
)`;

/**
 * Applies the pending migrations of `sets`, in order, each in its own transaction, recording
 * each in `outrig_migrations` (set, id, sha256 checksum, time). Idempotent.
 *
 * Refuses, applying nothing, with DB_MIGRATION_MISMATCH when an applied migration's file
 * changed, an applied migration's file is gone, or a new migration sorts before an applied one.
 * Concurrent migrators of one database (several instances starting at once) serialize on an
 * advisory lock: each migration is applied once. A migration runs inside a transaction, so it
 * must not contain BEGIN/COMMIT or statements such as CREATE INDEX CONCURRENTLY.
 *
 * @example
 * const sql = createPgClient({ url });
 * const { applied } = await migrate(sql, [outboxMigrations, await loadSqlMigrations(dir, 'orders')]);
 */
export async function migrate(
  sql: SqlClient,
  sets: readonly MigrationSet[],
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  validateSets(sets);
  const lockTimeoutMs = options.lockTimeoutMs ?? defaults.lockTimeoutMs;
  if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 1) {
    throw DbErrors.DB_OPTIONS_INVALID({ params: { reason: `lockTimeoutMs must be a positive integer` } });
  }
  const pending = await sql.transaction(async (tx) => {
    await lock(tx, lockTimeoutMs);
    await tx.query(CREATE_TABLE);
    const plan = planMigrations(sets, await readApplied(tx, sets));
    const problems = problemsOf(plan);
    if (problems.length > 0) throw mismatchError(problems);
    return plan.filter((p) => p.state === 'pending');
  });
  const applied: MigrateResult['applied'] = [];
  for (const p of pending) {
    const started = performance.now();
    // Each migration re-takes the lock and re-checks: a concurrent migrator may have applied it.
    if (await sql.transaction((tx) => applyOne(tx, p, lockTimeoutMs))) {
      applied.push({ set: p.set, id: p.id });
      options.onApplied?.({ set: p.set, id: p.id, durationMs: performance.now() - started });
    }
  }
  return { applied };
}

/**
 * Where each migration of `sets` stands against the database, in file order (recorded
 * migrations without a file last in their set). Reads only; takes no lock.
 *
 * @example
 * for (const s of await migrationStatus(sql, sets)) console.log(s.set, s.id, s.state);
 */
export async function migrationStatus(
  sql: SqlQueryable,
  sets: readonly MigrationSet[],
): Promise<MigrationStatus[]> {
  validateSets(sets);
  const exists = await sql.query<{ present: boolean }>(
    `SELECT to_regclass('outrig_migrations') IS NOT NULL AS present`,
  );
  const rows = exists.rows[0]?.present ? await readApplied(sql, sets) : [];
  return planMigrations(sets, rows).map(({ set, id, state, appliedAt }) =>
    appliedAt === undefined ? { set, id, state } : { set, id, state, appliedAt },
  );
}

async function applyOne(tx: SqlTransaction, p: PlannedMigration, lockTimeoutMs: number): Promise<boolean> {
  await lock(tx, lockTimeoutMs);
  const existing = await tx.query<{ checksum: string }>(
    'SELECT checksum FROM outrig_migrations WHERE set_name = $1 AND id = $2',
    [p.set, p.id],
  );
  const row = existing.rows[0];
  if (row) {
    if (row.checksum !== p.checksum) throw mismatchError([{ ...p, state: 'mismatched' }]);
    return false;
  }
  try {
    await tx.query(p.migration!.sql);
  } catch (err) {
    throw DbErrors.DB_MIGRATION_FAILED({
      params: { set: p.set, id: p.id, reason: (err as Error).message },
      details: { set: p.set, id: p.id },
      cause: err,
    });
  }
  await tx.query('INSERT INTO outrig_migrations (set_name, id, checksum) VALUES ($1, $2, $3)', [
    p.set,
    p.id,
    p.checksum,
  ]);
  return true;
}

async function lock(tx: SqlTransaction, timeoutMs: number): Promise<void> {
  const before = await tx.query<{ value: string }>(`SELECT current_setting('lock_timeout') AS value`);
  await tx.query(`SELECT set_config('lock_timeout', $1, true)`, [`${timeoutMs}ms`]);
  try {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [LOCK_KEY]);
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') {
      throw DbErrors.DB_MIGRATION_LOCKED({ params: { timeoutMs }, cause: err });
    }
    throw err;
  }
  // The timeout is for waiting on other migrators, not for the migration's own statements.
  await tx.query(`SELECT set_config('lock_timeout', $1, true)`, [before.rows[0]?.value ?? '0']);
}

async function readApplied(q: SqlQueryable, sets: readonly MigrationSet[]): Promise<AppliedRow[]> {
  const res = await q.query<AppliedRow & Record<string, unknown>>(
    'SELECT set_name, id, checksum, applied_at FROM outrig_migrations WHERE set_name = ANY($1::text[])',
    [sets.map((s) => s.name)],
  );
  return res.rows;
}
