import { DbErrors } from '../errors.ts';
import { redactUrl } from '../redact-url.ts';

export { redactUrl };

/** Throws DB_URL_INVALID unless `url` parses as a postgres:// or postgresql:// URL. */
export function assertPostgresUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw DbErrors.DB_URL_INVALID({ params: { url: redactUrl(url) }, cause: err });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw DbErrors.DB_URL_INVALID({ params: { url: redactUrl(url) } });
  }
  return parsed;
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = assertPostgresUrl(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The database a URL points at (`postgres` when it names none). */
export function databaseOf(url: string): string {
  const name = decodeURIComponent(assertPostgresUrl(url).pathname.slice(1));
  return name === '' ? 'postgres' : name;
}

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
