import { createPgClient, redactUrl, type SqlClient } from '@outrig/db';
import {
  listParked,
  type OutboxStatus,
  outboxStatus,
  type ParkedEvent,
  redriveParked,
  skipParked,
} from '@outrig/messaging';

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
 * and `retry`/`skip` for parked events — the same functions from @outrig/messaging, on a small
 * pool per database opened on first use.
 */
export class OutboxPanel {
  readonly #urls: ReadonlyMap<string, string>;
  readonly #pools = new Map<string, SqlClient>();

  /** `databases`: service name → its DATABASE_URL in this run. */
  constructor(databases: ReadonlyMap<string, string>) {
    this.#urls = databases;
  }

  services(): string[] {
    return [...this.#urls.keys()];
  }

  async view(service: string): Promise<OutboxView | undefined> {
    const url = this.#urls.get(service);
    if (url === undefined) return undefined;
    const sql = this.#pool(service, url);
    const database = redactUrl(url);
    try {
      const [status, parked] = await Promise.all([outboxStatus(sql), listParked(sql, { limit: 50 })]);
      return { service, database, status, parked };
    } catch (err) {
      const missing = (err as { code?: string }).code === '42P01';
      return {
        service,
        database,
        status: null,
        parked: [],
        error: missing ? 'no outbox table (the service does not use the outbox)' : (err as Error).message,
      };
    }
  }

  async views(): Promise<OutboxView[]> {
    const all = await Promise.all(this.services().map((s) => this.view(s)));
    return all.filter((v): v is OutboxView => v !== undefined);
  }

  /** Puts parked events back to pending (all of the service's when `ids` is empty); the count. */
  async retry(service: string, ids: readonly string[]): Promise<number | undefined> {
    const url = this.#urls.get(service);
    if (url === undefined) return undefined;
    return redriveParked(this.#pool(service, url), ids.length === 0 ? { all: true } : { ids });
  }

  /** Gives up on parked events; the count. */
  async skip(service: string, ids: readonly string[]): Promise<number | undefined> {
    const url = this.#urls.get(service);
    if (url === undefined) return undefined;
    return skipParked(this.#pool(service, url), ids);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#pools.values()].map((p) => p.close()));
    this.#pools.clear();
  }

  #pool(service: string, url: string): SqlClient {
    let pool = this.#pools.get(service);
    if (pool === undefined) {
      pool = createPgClient({ url, max: 1, applicationName: 'outrig-dashboard', connectTimeoutMs: 5000 });
      this.#pools.set(service, pool);
    }
    return pool;
  }
}
