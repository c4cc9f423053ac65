/**
 * Migrations are plain SQL, grouped in named sets (one per package or service), applied in
 * order, each in its own transaction, recorded with a checksum. A database whose recorded
 * migrations differ from the files is refused (DB_MIGRATION_MISMATCH) rather than "fixed".
 */
export interface Migration {
  /** Sortable, unique within its set: `0001_outbox`. */
  readonly id: string;
  readonly sql: string;
}

export interface MigrationSet {
  /** Unique across sets: `outrig/outbox`, `outrig/inbox`, `service/inventory`. */
  readonly name: string;
  readonly migrations: readonly Migration[];
}

/**
 * Where one migration stands against a database: `applied`; `pending`; `mismatched` (applied,
 * but the file's checksum differs); `missing` (recorded as applied, no file);
 * `out-of-order` (pending but sorts before an applied migration of its set).
 */
export type MigrationState = 'applied' | 'pending' | 'mismatched' | 'missing' | 'out-of-order';

/** One line of {@link MigrationSet} status, as `migrationStatus()` reports it. */
export interface MigrationStatus {
  readonly set: string;
  readonly id: string;
  readonly state: MigrationState;
  /** When it was applied (applied, mismatched, missing). */
  readonly appliedAt?: Date;
}
