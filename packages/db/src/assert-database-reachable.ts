import { DbErrors } from './errors.ts';
import { redactUrl } from './redact-url.ts';
import type { SqlQueryable } from './sql-client.ts';

/**
 * Runs one trivial query and turns a failure (server down, unknown database, refused
 * credentials) into `DB_UNREACHABLE` naming the database (password masked) and where its URL
 * came from, so that a start or a command fails with one clear line instead of a socket error.
 *
 * @example
 * await assertDatabaseReachable(sql, { url: process.env.DATABASE_URL!, source: 'DATABASE_URL' });
 */
export async function assertDatabaseReachable(
  sql: SqlQueryable,
  at: { readonly url: string; readonly source: string },
): Promise<void> {
  try {
    await sql.query('select 1');
  } catch (cause) {
    const err = cause as { code?: string; message?: string };
    const reason = [err.code, err.message].filter(Boolean).join(': ') || String(cause);
    throw DbErrors.DB_UNREACHABLE({
      params: { target: redactUrl(at.url), source: at.source, reason },
      cause,
    });
  }
}
