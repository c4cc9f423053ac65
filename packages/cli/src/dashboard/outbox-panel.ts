import {
  listParked,
  type OutboxStatus,
  outboxStatus,
  type ParkedEvent,
  redriveParked,
  skipParked,
} from '@outrig/messaging';
import { type DatabasePools, isMissingTable } from './database-pools.ts';

/** One service's outbox as the Events view shows it. */
export interface OutboxView {
  readonly service: string;
  /** The database, password masked. */
  readonly database: string;
  /** Null when the service has no outbox table (no migrations for it), with the reason. */
  readonly status: OutboxStatus | null;
  readonly parked: readonly ParkedEvent[];
  readonly error?: string;
}

/**
 * The outboxes of the services that have a database: what `outrig outbox status|parked` show,
 * and `retry`/`skip` for parked events — the same functions from @outrig/messaging.
 */
export class OutboxPanel {
  readonly #pools: DatabasePools;

  constructor(pools: DatabasePools) {
    this.#pools = pools;
  }

  async view(service: string): Promise<OutboxView | undefined> {
    const sql = this.#pools.get(service);
    if (sql === undefined) return undefined;
    const database = this.#pools.target(service)!;
    try {
      const [status, parked] = await Promise.all([outboxStatus(sql), listParked(sql, { limit: 50 })]);
      return { service, database, status, parked };
    } catch (err) {
      return {
        service,
        database,
        status: null,
        parked: [],
        error: isMissingTable(err)
          ? 'no outbox table (the service does not use the outbox)'
          : (err as Error).message,
      };
    }
  }

  async views(): Promise<OutboxView[]> {
    const all = await Promise.all(this.#pools.services().map((s) => this.view(s)));
    return all.filter((v): v is OutboxView => v !== undefined);
  }

  /** Puts parked events back to pending (all of the service's when `ids` is empty); the count. */
  async retry(service: string, ids: readonly string[]): Promise<number | undefined> {
    const sql = this.#pools.get(service);
    if (sql === undefined) return undefined;
    return redriveParked(sql, ids.length === 0 ? { all: true } : { ids });
  }

  /** Gives up on parked events; the count. */
  async skip(service: string, ids: readonly string[]): Promise<number | undefined> {
    const sql = this.#pools.get(service);
    if (sql === undefined) return undefined;
    return skipParked(sql, ids);
  }
}
