import type { OutrigError } from '@outrig/core/errors';
import { DbErrors } from './errors.ts';

/** What node-postgres puts on a server error (the fields of PostgreSQL's ErrorResponse). */
interface PgServerError {
  code: string;
  column?: string;
  constraint?: string;
  dataType?: string;
}

/** SQLSTATEs a request causes by its input, by code; the rest of classes 22 and 23 below. */
const BY_CODE: Record<string, keyof typeof DbErrors.catalog> = {
  '22003': 'DB_VALUE_OUT_OF_RANGE', // numeric_value_out_of_range: 2^31 into an integer column
  '22008': 'DB_VALUE_OUT_OF_RANGE', // datetime_field_overflow
  '22P02': 'DB_VALUE_INVALID', // invalid_text_representation: 'x' as a uuid or an integer
  '22007': 'DB_VALUE_INVALID', // invalid_datetime_format
  '22001': 'DB_VALUE_TOO_LONG', // string_data_right_truncation: varchar(n)
  '23502': 'DB_NOT_NULL_VIOLATION',
  '23505': 'DB_UNIQUE_VIOLATION',
  '23503': 'DB_FOREIGN_KEY_VIOLATION',
  '23514': 'DB_CHECK_VIOLATION',
  '54000': 'DB_VALUE_TOO_LARGE', // program_limit_exceeded: a huge value in a btree index
  '40001': 'DB_TRANSACTION_CONFLICT', // serialization_failure
  '40P01': 'DB_TRANSACTION_CONFLICT', // deadlock_detected
  '57P01': 'DB_UNAVAILABLE', // admin_shutdown: the server is stopping or restarting
  '57P02': 'DB_UNAVAILABLE', // crash_shutdown
  '57P03': 'DB_UNAVAILABLE', // cannot_connect_now: starting up, shutting down, recovering
  '57P05': 'DB_UNAVAILABLE', // idle_session_timeout
  '53300': 'DB_UNAVAILABLE', // too_many_connections
  '53100': 'DB_UNAVAILABLE', // disk_full
  '53200': 'DB_UNAVAILABLE', // out_of_memory
  '57014': 'DB_UNAVAILABLE', // query_canceled (statement_timeout)
  '25006': 'DB_UNAVAILABLE', // read_only_sql_transaction: a standby during failover
};

/** Errors node-postgres raises itself (no SQLSTATE) when the connection is gone or cannot be made. */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'Query read timeout',
];

/** Socket errors of a connection to the database (refused, reset, unresolvable, unreachable). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Classifies a PostgreSQL error into a coded {@link OutrigError}, or `undefined` for anything
 * else (a bug: syntax errors, missing tables — those stay 500). What a request can cause by its
 * input becomes a 4xx: data errors (class 22: a number out of range, text that is not a uuid, a
 * NUL byte) 400, unique and foreign-key violations 409, check violations 422, not-null 400; a
 * serialization failure or deadlock 409 (retryable). A database that is down, restarting or out
 * of connections (class 08, 57P01–57P03, 53300, any FATAL error, a refused or cut connection) is 503
 * `DB_UNAVAILABLE` with `Retry-After`.
 *
 * It looks through `cause` chains (Drizzle wraps the driver's error in `DrizzleQueryError`).
 * `details` name the constraint and column when PostgreSQL reports them — never the values.
 * `connectDatabase` registers it with the service (`service.mapErrors`), so every route of a
 * service with a database answers these errors in the envelope without a line of its own.
 *
 * @example
 * service.mapErrors(mapPgError); // for a pool you built yourself
 */
export function mapPgError(err: unknown): OutrigError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const mapped = classify(e);
    if (mapped) return mapped;
  }
  return undefined;
}

function classify(err: Error): OutrigError | undefined {
  const { code } = err as { code?: unknown };
  if (typeof code === 'string' && isSqlState(err, code)) {
    // FATAL ends the session (not accepting connections, refused login, gone database): the
    // database is unusable for this request whatever the code says.
    const severity = (err as { severity?: string }).severity;
    if (severity === 'FATAL' || severity === 'PANIC') {
      return DbErrors.DB_UNAVAILABLE({ cause: err, details: details(err as unknown as PgServerError) });
    }
    const name =
      BY_CODE[code] ??
      (code.startsWith('22')
        ? 'DB_DATA_INVALID'
        : code.startsWith('23')
          ? 'DB_CONSTRAINT_VIOLATION'
          : code.startsWith('08')
            ? 'DB_UNAVAILABLE'
            : undefined);
    if (name === undefined) return undefined;
    return DbErrors[name]({ cause: err, details: details(err as unknown as PgServerError) });
  }
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return DbErrors.DB_UNAVAILABLE({ cause: err });
  if (PG_CONNECTION_MESSAGES.some((m) => err.message.startsWith(m))) {
    return DbErrors.DB_UNAVAILABLE({ cause: err });
  }
  return undefined;
}

/** A PostgreSQL server error: five-character SQLSTATE and the `severity` node-postgres sets. */
function isSqlState(err: Error, code: string): boolean {
  return /^[0-9A-Z]{5}$/.test(code) && typeof (err as { severity?: unknown }).severity === 'string';
}

function details(err: PgServerError): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = { sqlState: err.code };
  if (err.constraint) out.constraint = err.constraint;
  if (err.column) out.column = err.column;
  return out;
}
