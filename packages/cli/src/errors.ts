import { defineErrors } from '@outrig/core/errors';

/**
 * The error codes the `outrig` command line adds to those of the packages it drives
 * (`DB_UNREACHABLE`, `DB_URL_INVALID`, …). Listed in docs/errors.md (a test checks).
 */
export const CliErrors = defineErrors({
  CLI_OUTBOX_MISSING: {
    status: 500,
    message:
      "The outbox tables are missing in {database}: run the service's migrations first (outboxMigrations)",
  },
  CLI_COMMAND_FAILED: { status: 500, message: '{command} failed: {reason}' },
  CLI_SYSTEM_NOT_FOUND: {
    status: 400,
    message: 'No outrig.json in {dir} or any folder above it: run this inside a system made by `outrig new`',
  },
  CLI_SYSTEM_INVALID: { status: 400, message: '{file} is not a valid system description: {reason}' },
  CLI_DEV_UNKNOWN_SERVICE: {
    status: 400,
    message: 'No service {service} in {file}: its services are {services}',
  },
  CLI_DEV_START_FAILED: {
    status: 500,
    message: '{service} failed to start ({reason}); the other services were stopped',
  },
  CLI_DEV_DATABASE_FAILED: {
    status: 503,
    message:
      'Could not create database {database} for {service} on {server}: {reason} — create it with a role that may (CREATE DATABASE), or set {variable} to a database of its own',
  },
});
