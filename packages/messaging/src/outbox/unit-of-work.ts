import type { SqlClient, SqlTransaction } from '@outrig/db';
import type { Static, TSchema } from 'typebox';
import type { CloudEvent } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';
import { createEvent } from '../events/create-event.ts';
import type { EventDefinition } from '../events/event-definition.ts';
import { notifyOutboxCommit } from './commit-notify.ts';
import { signalOutboxCommit } from './outbox-signal.ts';
import { type OutboxEntry, writeOutboxRows } from './outbox-writer.ts';
import { activeTraceContext } from './trace-context.ts';

/** What {@link UnitOfWork.publish} takes; `source` comes from the outbox. */
export interface PublishInput<T> {
  /** The aggregate id. */
  readonly subject: string;
  readonly data: T;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Defaults to a new UUIDv7. */
  readonly id?: string;
}

/** Defaults for every event of one unit of work (explicit or captured by triggers). */
export interface UnitOfWorkOptions {
  readonly correlationId?: string;
  readonly causationId?: string;
}

/**
 * One transaction: the caller's state changes on `tx` plus the events it publishes. Events are
 * validated when published and written to the outbox just before commit, so they commit or roll
 * back with the state.
 */
export interface UnitOfWork {
  /** The open transaction; run your state changes on it. */
  readonly tx: SqlTransaction;
  /**
   * Validates and queues an event of `definition` (topic from the definition). Returns it as built;
   * its `aggregateversion` is assigned when it is written, at the end of the unit of work.
   * @throws `EVENT_INVALID` at once, so the transaction rolls back.
   */
  publish<S extends TSchema>(
    definition: EventDefinition<S>,
    input: PublishInput<Static<S>>,
  ): CloudEvent<Static<S>>;
  /** Queues events built elsewhere (e.g. with `createEvent`). */
  add(entries: OutboxEntry | readonly OutboxEntry[]): void;
}

/** Runs one unit of work; see {@link Outbox.unitOfWork}. */
export async function runUnitOfWork<T>(
  source: string,
  sql: SqlClient | SqlTransaction,
  fn: (uow: UnitOfWork) => Promise<T>,
  options: UnitOfWorkOptions = {},
): Promise<T> {
  // Joining a transaction the caller owns: we cannot know when it commits, so the trigger's NOTIFY
  // (at that commit) and the poll wake the relays. Our own transaction: the write turns the
  // trigger's NOTIFY off (it would take the cluster-wide notify lock inside the commit) and we
  // notify after commit, coalesced.
  const joined = (sql as Partial<SqlTransaction>).inTransaction === true;
  let wrote = false;
  const result = await sql.transaction(async (tx) => {
    await shareContextWithTriggers(tx, options);
    const queued: OutboxEntry[] = [];
    let open = true;
    const uow: UnitOfWork = {
      tx,
      publish(definition, input) {
        if (!open) throw MessagingErrors.OUTBOX_UNIT_CLOSED();
        const event = createEvent(definition, {
          ...input,
          source,
          correlationId: input.correlationId ?? options.correlationId,
          causationId: input.causationId ?? options.causationId,
        });
        queued.push({ event, topic: definition.topic });
        return event;
      },
      add(entries) {
        if (!open) throw MessagingErrors.OUTBOX_UNIT_CLOSED();
        queued.push(...((Array.isArray(entries) ? entries : [entries]) as OutboxEntry[]));
      },
    };
    try {
      const value = await fn(uow);
      if (queued.length > 0) {
        await writeOutboxRows(tx, queued, joined);
        wrote = true;
      }
      return value;
    } finally {
      open = false;
    }
  });
  if (!joined) {
    signalOutboxCommit();
    // Rows captured by triggers (tables of outboxTriggerMigration) notified through the trigger.
    if (wrote) notifyOutboxCommit(sql);
  }
  return result;
}

/**
 * Rows captured by outbox triggers cannot see the JS context: pass the trace context and
 * correlation ids as transaction-local settings (`set_config(…, true)`), read by the trigger.
 */
async function shareContextWithTriggers(tx: SqlTransaction, options: UnitOfWorkOptions): Promise<void> {
  const values: Record<string, string | undefined> = {
    ...activeTraceContext(),
    correlationid: options.correlationId,
    causationid: options.causationId,
  };
  const settings = Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string');
  if (settings.length === 0) return;
  const calls = settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`);
  await tx.query(
    `SELECT ${calls.join(', ')}`,
    settings.flatMap(([name, value]) => [`outrig.${name}`, value]),
  );
}
