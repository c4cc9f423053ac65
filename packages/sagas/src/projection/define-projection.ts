import type { SqlTransaction } from '@outrig/db';
import type { CloudEvent } from '@outrig/messaging';
import { SagaErrors } from '../errors.ts';

/** What a projection handler receives besides the event. */
export interface ProjectionContext {
  /**
   * The batch's transaction: the projection's rows and its checkpoint commit together. It
   * refuses side effects (outbox, inbox, saga tables, NOTIFY) with `PROJECTION_SIDE_EFFECT`.
   */
  readonly tx: SqlTransaction;
  /** The physical table of the generation being built: `<name>_v<n>` (write here, not to the view). */
  readonly table: string;
  /** True while a rebuild replays the retained events into a new generation. */
  readonly replaying: boolean;
  /** Where the event sits in the log. */
  readonly position: { readonly topic: string; readonly partition: number; readonly offset: number };
}

/** What {@link defineProjection} takes. */
export interface ProjectionDefinitionOptions {
  /** The view readers query: lower-case SQL identifier, e.g. `order_summary`. */
  readonly name: string;
  /** Topics of the postgres transport the projection reads. */
  readonly topics: readonly string[];
  /** DDL of one generation's table, given its name: `(t) => \`CREATE TABLE ${t} (…)\``. May create indexes too. */
  readonly table: (tableName: string) => string;
  /** Applies one event to the table. Must only write the projection's table (idempotence comes from the checkpoint). */
  readonly handle: (event: CloudEvent, ctx: ProjectionContext) => Promise<void> | void;
}

/** A validated projection. */
export type ProjectionDefinition = ProjectionDefinitionOptions;

const IDENT = /^[a-z_][a-z0-9_]{0,40}$/;

/**
 * Declares a read model: events of some topics folded into a table of its own, read through a
 * view named after the projection, rebuildable beside the live table.
 *
 * @throws `PROJECTION_DEFINITION_INVALID`
 * @example
 * const OrderSummary = defineProjection({
 *   name: 'order_summary',
 *   topics: ['order.events'],
 *   table: (t) => `CREATE TABLE ${t} (order_id text PRIMARY KEY, status text NOT NULL)`,
 *   handle: async (event, { tx, table }) => {
 *     await tx.query(`INSERT INTO ${table} VALUES ($1, $2) ON CONFLICT (order_id) DO UPDATE SET status = $2`,
 *       [event.subject, event.type]);
 *   },
 * });
 */
export function defineProjection(options: ProjectionDefinitionOptions): ProjectionDefinition {
  const name = String(options?.name);
  const invalid = (reason: string) =>
    SagaErrors.PROJECTION_DEFINITION_INVALID({ params: { projection: name, reason } });
  if (typeof options?.name !== 'string' || !IDENT.test(options.name)) {
    throw invalid('name must be a lower-case SQL identifier of at most 41 characters');
  }
  if (
    !Array.isArray(options.topics) ||
    options.topics.length === 0 ||
    options.topics.some((t) => typeof t !== 'string' || t === '')
  ) {
    throw invalid('topics must be a non-empty list of topic names');
  }
  if (typeof options.table !== 'function') throw invalid('table must be a function returning the DDL');
  if (typeof options.handle !== 'function') throw invalid('handle must be a function');
  return Object.freeze({ ...options, topics: [...options.topics] });
}

/** The physical table of generation `n`. */
export function generationTable(name: string, n: number): string {
  return `${name}_v${n}`;
}
