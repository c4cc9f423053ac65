import type { SqlClient, SqlTransaction } from '@outrig/db';
import type { Static, TSchema } from 'typebox';
import type { CloudEvent } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';
import { type CreateEventInput, createEvent } from '../events/create-event.ts';
import type { EventDefinition } from '../events/event-definition.ts';
import { type OutboxEntry, writeOutbox } from './outbox-writer.ts';
import { runUnitOfWork, type UnitOfWork, type UnitOfWorkOptions } from './unit-of-work.ts';

/** Options of {@link createOutbox}. */
export interface OutboxOptions {
  /** CloudEvents `source` of the events this service publishes: `/services/<name>`. */
  readonly source: string;
}

/**
 * The producing side of the transactional outbox: events are rows written in the same
 * transaction as the state change, and the relay publishes them after commit.
 *
 * Guarantee: a committed state change and its events are never separated; each aggregate's
 * events get versions 1, 2, 3 … in commit order (a writer takes the aggregate's version row lock
 * until commit). Safe for concurrent use.
 */
export interface Outbox {
  readonly source: string;
  /**
   * Writes events inside an open transaction (yours: e.g. `joinPgTransaction(client)` inside a
   * Drizzle transaction). Assigns `aggregateversion`, attaches the active trace context, and
   * returns the events as stored.
   * @throws `OUTBOX_NOT_IN_TRANSACTION`, `OUTBOX_EVENT_UNROUTABLE` (no `subject`/`aggregatetype`).
   */
  write(tx: SqlTransaction, entries: OutboxEntry | readonly OutboxEntry[]): Promise<CloudEvent[]>;
  /**
   * Runs `fn` in a transaction (a new one on a client, or joining one you pass) and writes the
   * events it publishes just before commit. After commit, relays in this process are woken.
   */
  unitOfWork<T>(
    sql: SqlClient | SqlTransaction,
    fn: (uow: UnitOfWork) => Promise<T>,
    options?: UnitOfWorkOptions,
  ): Promise<T>;
  /** `createEvent` with this outbox's `source`. */
  event<S extends TSchema>(
    definition: EventDefinition<S>,
    input: Omit<CreateEventInput<Static<S>>, 'source'>,
  ): CloudEvent<Static<S>>;
}

/**
 * Creates the outbox of a service. The tables come from `outboxMigrations`.
 *
 * @example
 * const outbox = createOutbox({ source: '/services/catalog' });
 * const product = await outbox.unitOfWork(sql, async (uow) => {
 *   const { rows } = await uow.tx.query<{ id: string }>(
 *     'insert into product (name) values ($1) returning id', ['Lamp']);
 *   uow.publish(ProductCreated, { subject: rows[0]!.id, data: { name: 'Lamp', priceCents: 1999 } });
 *   return rows[0]!;
 * });
 */
export function createOutbox(options: OutboxOptions): Outbox {
  if (typeof options?.source !== 'string' || options.source.length === 0) {
    throw MessagingErrors.OUTBOX_OPTIONS_INVALID({
      params: { reason: 'source is required, e.g. /services/<name>' },
    });
  }
  const { source } = options;
  return {
    source,
    write: writeOutbox,
    unitOfWork: (sql, fn, uowOptions) => runUnitOfWork(source, sql, fn, uowOptions),
    event: (definition, input) => createEvent(definition, { ...input, source }),
  };
}
