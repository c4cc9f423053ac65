import type { Migration } from '@outrig/db';
import { MessagingErrors } from '../errors.ts';

/** Options of {@link outboxTriggerMigration}. */
export interface OutboxTriggerOptions {
  /** Table to capture, optionally schema-qualified: `product`, `catalog.product`. */
  readonly table: string;
  /** Aggregate type: events are `<aggregateType>.created|updated|deleted`. */
  readonly aggregateType: string;
  /** Column holding the aggregate id (the event's `subject`). Default `id`. */
  readonly idColumn?: string;
  /** CloudEvents `source`: `/services/<name>`. */
  readonly source: string;
  /** Topic. Default `<aggregateType>.events`. */
  readonly topic?: string;
  /** Migration id within your set. Default `outbox_capture_<table>`. */
  readonly id?: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME = /^[A-Za-z][\w-]*$/;

/**
 * A migration that makes a table outbox-enabled (the OutboxMixin of the old guides, without an
 * ORM): a row trigger writes `<aggregateType>.created|updated|deleted` into the outbox, in the
 * same transaction, with the row (`to_jsonb`) as `data`, a UUIDv7 id, the next aggregate
 * version (same lock as `uow.publish`) and the trace context the unit of work set. An update that
 * changes nothing emits nothing. Put it in your service's migration set; `outboxMigrations` must be
 * applied first.
 *
 * @throws `OUTBOX_OPTIONS_INVALID` for a bad identifier or missing option.
 * @example
 * const migrations = { name: 'service/catalog', migrations: [
 *   { id: '0001_product', sql: 'create table product (id uuid primary key, name text not null)' },
 *   outboxTriggerMigration({ id: '0002_product_outbox', table: 'product', aggregateType: 'product',
 *     source: '/services/catalog' }),
 * ] };
 */
export function outboxTriggerMigration(options: OutboxTriggerOptions): Migration {
  const { table, aggregateType, source, topic } = options;
  const idColumn = options.idColumn ?? 'id';
  const invalid = (reason: string) => MessagingErrors.OUTBOX_OPTIONS_INVALID({ params: { reason } });
  const parts = typeof table === 'string' ? table.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => IDENT.test(p))) {
    throw invalid(`table ${String(table)} must be an identifier, optionally schema-qualified`);
  }
  if (typeof aggregateType !== 'string' || !NAME.test(aggregateType)) {
    throw invalid('aggregateType must be a name: a letter, then letters, digits, - or _');
  }
  if (typeof idColumn !== 'string' || idColumn.length === 0) throw invalid('idColumn must be a column name');
  if (typeof source !== 'string' || source.length === 0)
    throw invalid('source is required (/services/<name>)');
  if (topic !== undefined && (typeof topic !== 'string' || topic.length === 0)) {
    throw invalid('topic must be a non-empty string');
  }
  const target = parts.map((p) => `"${p}"`).join('.');
  const args = [aggregateType, idColumn, source, topic ?? ''].map(literal).join(', ');
  return {
    id: options.id ?? `outbox_capture_${parts.join('_')}`,
    sql:
      `CREATE TRIGGER outrig_outbox_capture AFTER INSERT OR UPDATE OR DELETE ON ${target}\n` +
      `  FOR EACH ROW EXECUTE FUNCTION outrig_outbox_capture(${args});\n`,
  };
}

/** A SQL string literal (standard_conforming_strings: only quotes need doubling). */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
