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
});
