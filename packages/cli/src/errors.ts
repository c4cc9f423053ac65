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
  CLI_SAGAS_MISSING: {
    status: 500,
    message: "The saga tables are missing in {database}: run the service's migrations first (sagaMigrations)",
  },
  CLI_SAGA_REQUEST_PENDING: {
    status: 504,
    message:
      'The {action} of saga instance {id} is recorded (request {request} in {database}) but no runtime of saga {saga} carried it out within {wait}: it stays queued and runs when the service that runs {saga} is up',
  },
  CLI_COMMAND_FAILED: { status: 500, message: '{command} failed: {reason}' },
  CLI_SYSTEM_NOT_FOUND: {
    status: 400,
    message: 'No outrig.json in {dir} or any folder above it: run this inside a system made by `outrig new`',
  },
  CLI_SYSTEM_INVALID: { status: 400, message: '{file} is not a valid system description: {reason}' },
  CLI_DEV_START_FAILED: {
    status: 500,
    message: '{service} failed to start ({reason}); the other services were stopped',
  },
  CLI_DEV_DATABASE_FAILED: {
    status: 503,
    message:
      'Could not create database {database} for {service} on {server}: {reason} — create it with a role that may (CREATE DATABASE), or set {variable} to a database of its own',
  },
  CLI_DASHBOARD_REFUSED: {
    status: 400,
    message:
      'The development dashboard does not run with NODE_ENV=production ({source} asked for it): it shows logs, traces and events, and sends requests with tokens; unset NODE_ENV for outrig dev, or drop {source}',
  },
  CLI_DASHBOARD_PORT_IN_USE: {
    status: 409,
    message:
      'The dashboard cannot listen on 127.0.0.1:{port} ({source}): {reason} — choose another port with --dashboard-port, or turn it off with --no-dashboard',
  },
  CLI_DASHBOARD_OPTIONS_INVALID: {
    status: 400,
    message: '{variable} must be {expected}, got {value}',
  },
  CLI_SERVICE_UNKNOWN: {
    status: 400,
    message: 'No service {service} in {file}: the services are {services}',
  },
  CLI_SERVICE_NO_DATABASE: {
    status: 400,
    message: '{service} has no database (outrig.json says database: false, or it is a gateway)',
  },
  CLI_MIGRATIONS_NOT_FOUND: {
    status: 400,
    message:
      "{service}'s migrations could not be loaded from {file}: {reason} — export `migrations` (MigrationSet[] or a function returning them), or set services.{service}.migrations in outrig.json",
  },
  CLI_RESET_REFUSED: { status: 400, message: 'Not resetting {database}: {reason}' },
  CLI_TOOL_MISSING: { status: 400, message: '{tool} is not installed: {install}' },
  CLI_BUS_UNAVAILABLE: { status: 400, message: 'No bus to read from: {reason}' },
  CLI_DOCTOR_FOUND_PROBLEMS: {
    status: 500,
    message: '{count} found: see above for each fix',
  },
  CLI_API_FUZZ_FAILED: {
    status: 500,
    message: 'The API broke {count} promise(s): see the curl lines above (rerun with --seed {seed})',
  },
  CLI_API_NO_OPERATIONS: { status: 400, message: 'The OpenAPI document at {url} has no operations to test' },
  CLI_NAME_INVALID: {
    status: 400,
    message:
      '{what} name "{name}" is not valid: use lower case letters, digits and dashes, starting with a letter',
  },
  CLI_ANSWER_MISSING: {
    status: 400,
    message: '{answer} is needed and there is no terminal to ask on: pass {flag} (or --yes for the defaults)',
  },
  CLI_ANSWERS_CONFLICT: { status: 400, message: 'The answers of outrig new conflict: {reason}' },
  CLI_CANCELLED: { status: 400, message: '{command} was cancelled: nothing was written' },
  CLI_DIR_NOT_EMPTY: {
    status: 400,
    message: '{dir} exists and is not empty: choose a new folder (outrig new never writes over files)',
  },
  CLI_FILE_EXISTS: { status: 409, message: '{file} already exists: outrig add never writes over a file' },
  CLI_SERVICE_EXISTS: { status: 409, message: 'Service {service} is already in {file}' },
  CLI_SCAFFOLD_MARKER_MISSING: {
    status: 409,
    message:
      '{file} has no "{marker}" line, where outrig add inserts {what}: put the line back, or add it by hand',
  },
  CLI_PACKAGES_INVALID: { status: 400, message: '--packages {dir}: {reason}' },
  CLI_CONTRACT_BROKEN: {
    status: 500,
    message:
      '{count} breaking change(s) to versions that are not deprecated: see above — keep the old shape, add a new API version, or deprecate the old one first',
  },
  CLI_CONTRACT_NO_SNAPSHOT: {
    status: 400,
    message: 'No recorded contract in {files}: run outrig contract update and commit contracts/',
  },
  CLI_CONTRACT_UNREACHABLE: {
    status: 503,
    message:
      "Could not read {service}'s contract at {url}: {reason} — start the system (outrig dev), or pass --url {service}=<url>",
  },
  CLI_ROUTES_NOT_FOUND: {
    status: 400,
    message:
      "{service}'s route table could not be loaded from {file}: {reason} — export `routes` (GatewayRoute[]), or set services.{service}.routes in outrig.json",
  },
  CLI_DEPLOY_TARGET_UNKNOWN: {
    status: 400,
    message: 'Unknown deploy target {target}: use one of {targets}',
  },
  CLI_DEPLOY_OUT_OF_DATE: {
    status: 409,
    message:
      '{count} deployment file(s) in {out} differ from what outrig.json renders: run outrig deploy render',
  },
  CLI_CERTS_FAILED: { status: 500, message: 'Making development certificates failed at {step}: {reason}' },
  CLI_INSTALL_FAILED: { status: 500, message: 'npm install in {dir} failed (exit code {code}): {output}' },
});
