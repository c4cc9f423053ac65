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
