import { migrate } from '@outrig/db';
import { inboxMigrations } from '@outrig/messaging';
import { createTestDatabase, type TestDatabase } from '../database.ts';
import { serverAvailable } from '../servers.ts';

/**
 * The PostgreSQL database the consumer checks share during one run: the inbox plus an
 * `effects` table where handlers record their side effects. Created on first use.
 */
export class ConformanceDatabase {
  #db: Promise<TestDatabase | undefined> | undefined;

  /** The database, or undefined when PostgreSQL is unreachable (the check then skips). */
  get(): Promise<TestDatabase | undefined> {
    this.#db ??= (async () => {
      if (!(await serverAvailable('postgres'))) return undefined;
      const db = await createTestDatabase('conformance');
      await migrate(db.sql, [inboxMigrations]);
      await db.sql.query('CREATE TABLE effects (check_name text NOT NULL, event_id uuid NOT NULL, key text)');
      return db;
    })();
    return this.#db;
  }

  /** How many effects `eventId` had in `check`. */
  async effects(check: string, eventId: string): Promise<number> {
    const db = await this.get();
    const res = await db?.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM effects WHERE check_name = $1 AND event_id = $2',
      [check, eventId],
    );
    return res?.rows[0]?.n ?? 0;
  }

  async drop(): Promise<void> {
    const db = await this.#db;
    await db?.drop();
  }
}
