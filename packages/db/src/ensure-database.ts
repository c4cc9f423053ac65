import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DbErrors } from './errors.ts';
import { assertPostgresUrl, quoteIdent, redactUrl, withDatabase } from './internal/postgres-url.ts';

/** SQLSTATEs meaning "someone else created it first". */
const ALREADY_THERE = new Set(['42P04', '23505']);
/** "source database template1 is being accessed by other users": transient, retry. */
const TEMPLATE_BUSY = '55006';

/**
 * Creates database `name` on the server of `adminUrl` unless it exists, and returns its URL.
 * Safe when several processes race to create it: losing the race (duplicate_database, or a
 * unique violation on pg_database) counts as "already there".
 *
 * @example
 * const { url } = await ensureDatabase('postgres://postgres:outrig@127.0.0.1:5488/postgres', 'orders');
 */
export async function ensureDatabase(
  adminUrl: string,
  name: string,
): Promise<{ url: string; created: boolean }> {
  assertDatabaseName(name);
  assertPostgresUrl(adminUrl);
  const url = withDatabase(adminUrl, name);
  const fail = (reason: string, cause: unknown, retryable = false) =>
    DbErrors.DB_DATABASE_CREATE_FAILED({ params: { name, reason }, cause, retryable });
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw fail(`cannot connect to ${redactUrl(adminUrl)}: ${(err as Error).message}`, err, true);
  }
  try {
    for (let attempt = 1; ; attempt++) {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount) return { url, created: false };
      try {
        await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
        return { url, created: true };
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (ALREADY_THERE.has(code)) return { url, created: false };
        if (code !== TEMPLATE_BUSY || attempt >= 10) throw fail((err as Error).message, err);
        await sleep(100 * attempt);
      }
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The database name for a service: lower case, runs of other characters as `_`, at most 63
 * bytes (PostgreSQL's limit). `order-service` → `order_service`.
 *
 * @example
 * serviceDatabaseName('Order-Service'); // 'order_service'
 */
export function serviceDatabaseName(serviceName: string): string {
  const base = String(serviceName)
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (base === '') {
    throw DbErrors.DB_OPTIONS_INVALID({
      params: { reason: `service name ${JSON.stringify(serviceName)} gives an empty database name` },
    });
  }
  const name = /^[0-9]/.test(base) ? `s_${base}` : base;
  return name.slice(0, 63);
}

function assertDatabaseName(name: string): void {
  if (typeof name !== 'string' || name === '' || Buffer.byteLength(name) > 63) {
    throw DbErrors.DB_OPTIONS_INVALID({
      params: { reason: `database name must be 1 to 63 bytes, got ${JSON.stringify(name)}` },
    });
  }
}
