import { createHash } from 'node:crypto';
import { DbErrors } from '../errors.ts';
import type { Migration, MigrationSet, MigrationState } from '../migration.ts';

/** One row of `outrig_migrations`. */
export interface AppliedRow {
  set_name: string;
  id: string;
  checksum: string;
  applied_at: Date;
}

export interface PlannedMigration {
  readonly set: string;
  readonly id: string;
  readonly state: MigrationState;
  /** Checksum of the file (absent for `missing`). */
  readonly checksum?: string;
  readonly appliedAt?: Date;
  readonly migration?: Migration;
}

/**
 * sha256 of the migration text. CRLF is read as LF so that a checkout with Windows line endings
 * does not look like an edited migration.
 */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Throws DB_MIGRATION_INVALID for sets that cannot be applied unambiguously. */
export function validateSets(sets: readonly MigrationSet[]): void {
  const names = new Set<string>();
  for (const set of sets) {
    const invalid = (reason: string) => DbErrors.DB_MIGRATION_INVALID({ params: { reason } });
    if (typeof set?.name !== 'string' || set.name === '') throw invalid('a migration set has no name');
    if (names.has(set.name)) throw invalid(`two migration sets are named ${set.name}`);
    names.add(set.name);
    if (!Array.isArray(set.migrations)) throw invalid(`set ${set.name} has no migrations array`);
    const ids = new Set<string>();
    for (const m of set.migrations) {
      if (typeof m?.id !== 'string' || m.id === '')
        throw invalid(`set ${set.name} has a migration without id`);
      if (ids.has(m.id)) throw invalid(`set ${set.name} has two migrations with id ${m.id}`);
      if (typeof m.sql !== 'string') throw invalid(`migration ${set.name}/${m.id} has no sql text`);
      ids.add(m.id);
    }
  }
}

/**
 * Compares the files with the recorded rows, in file order. A pending migration that sorts
 * before an applied one is `out-of-order` (applying it late could change what later migrations
 * assumed); a recorded migration without a file is `missing`.
 */
export function planMigrations(
  sets: readonly MigrationSet[],
  rows: readonly AppliedRow[],
): PlannedMigration[] {
  const plan: PlannedMigration[] = [];
  for (const set of sets) {
    const recorded = new Map(rows.filter((r) => r.set_name === set.name).map((r) => [r.id, r]));
    const entries = set.migrations.map((migration): PlannedMigration => {
      const checksum = migrationChecksum(migration.sql);
      const row = recorded.get(migration.id);
      recorded.delete(migration.id);
      if (!row) return { set: set.name, id: migration.id, state: 'pending', checksum, migration };
      const state = row.checksum === checksum ? 'applied' : 'mismatched';
      return { set: set.name, id: migration.id, state, checksum, appliedAt: row.applied_at, migration };
    });
    const lastRecorded = entries.findLastIndex((e) => e.state !== 'pending');
    plan.push(
      ...entries.map((e, i) =>
        e.state === 'pending' && i < lastRecorded ? { ...e, state: 'out-of-order' as const } : e,
      ),
    );
    const missing = [...recorded.values()].sort((a, b) => a.id.localeCompare(b.id));
    plan.push(
      ...missing.map(
        (r): PlannedMigration => ({ set: set.name, id: r.id, state: 'missing', appliedAt: r.applied_at }),
      ),
    );
  }
  return plan;
}

/** The entries that make `migrate()` refuse to run. */
export function problemsOf(plan: readonly PlannedMigration[]): PlannedMigration[] {
  return plan.filter((p) => p.state === 'mismatched' || p.state === 'missing' || p.state === 'out-of-order');
}

const explain: Record<string, string> = {
  mismatched: 'was applied with a different checksum than its file',
  missing: 'is recorded as applied but has no file',
  'out-of-order': 'is pending but sorts before an applied migration',
};

/** DB_MIGRATION_MISMATCH naming every problem (set/id and why). */
export function mismatchError(problems: readonly PlannedMigration[]) {
  const reason = problems.map((p) => `${p.set}/${p.id} ${explain[p.state]}`).join('; ');
  return DbErrors.DB_MIGRATION_MISMATCH({
    params: { reason },
    details: { problems: problems.map((p) => ({ set: p.set, id: p.id, state: p.state })) },
  });
}
