import { randomBytes } from 'node:crypto';
import { createPgClient, type SqlClient } from '@outrig/db';
import { testServers } from './servers.ts';

/** A fresh database on the test PostgreSQL server, dropped by `drop()`. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A pooled client on the new database (closed by `drop()`). */
  readonly sql: SqlClient;
  drop(): Promise<void>;
}

/**
 * Creates a uniquely named database so test files never share state.
 *
 * @example
 * const db = await createTestDatabase('outbox');
 * afterAll(() => db.drop());
 */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `outrig_t_${prefix.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = createPgClient({ url: testServers.postgres, max: 1 });
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.close();
  const url = new URL(testServers.postgres);
  url.pathname = `/${name}`;
  const sql = createPgClient({ url: url.toString(), max: 10 });
  return {
    name,
    url: url.toString(),
    sql,
    async drop() {
      await sql.close();
      const a = createPgClient({ url: testServers.postgres, max: 1 });
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.close();
    },
  };
}
