import { createPgClient, redactUrl, type SqlClient } from '@outrig/db';

/** One small pool per service database of the run, opened on first use (outboxes, sagas). */
export class DatabasePools {
  readonly #urls: ReadonlyMap<string, string>;
  readonly #pools = new Map<string, SqlClient>();

  /** `urls`: service name → its DATABASE_URL in this run. */
  constructor(urls: ReadonlyMap<string, string>) {
    this.#urls = urls;
  }

  services(): string[] {
    return [...this.#urls.keys()];
  }

  /** The service's database URL with its password masked; undefined without a database. */
  target(service: string): string | undefined {
    const url = this.#urls.get(service);
    return url === undefined ? undefined : redactUrl(url);
  }

  /** The service's pool; undefined for a service without a database. */
  get(service: string): SqlClient | undefined {
    const url = this.#urls.get(service);
    if (url === undefined) return undefined;
    let pool = this.#pools.get(service);
    if (pool === undefined) {
      pool = createPgClient({ url, max: 1, applicationName: 'outrig-dashboard', connectTimeoutMs: 5000 });
      this.#pools.set(service, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#pools.values()].map((p) => p.close()));
    this.#pools.clear();
  }
}

/** PostgreSQL's "undefined table": the feature's migrations have not run in that database. */
export function isMissingTable(err: unknown): boolean {
  return (err as { code?: string }).code === '42P01';
}
