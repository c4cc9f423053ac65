import { isOutrigError } from '@outrig/core/errors';
import { Command, CommanderError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { addCompletionCommand } from './completion-command.ts';
import { addContractCommands } from './contract/contract-command.ts';
import { addDbCommands } from './db-commands.ts';
import { addDeployCommands } from './deploy/deploy-command.ts';
import { addDevCommand } from './dev/dev-command.ts';
import { addDoctorCommand } from './doctor/doctor-command.ts';
import { addEventsCommands } from './events-commands.ts';
import { type CliIo, processIo } from './io.ts';
import { addOutboxCommands } from './outbox-commands.ts';
import { addSagaCommands } from './saga-commands.ts';
import { addAddCommands } from './scaffold/add-commands.ts';
import { addNewCommand } from './scaffold/new-command.ts';
import { addTestCommands } from './test-api-command.ts';

/** What to do next, per error code, appended to the one-line message. */
const NEXT_STEP: Record<string, string> = {
  DB_UNREACHABLE: 'check the URL, that the server runs, and that it accepts this user and database',
  DB_URL_INVALID: 'pass a URL like postgres://user:password@host:5432/database',
  DB_EMBEDDED_NOT_INSTALLED: 'or pass --database-url',
  DB_EMBEDDED_UNAVAILABLE: 'or pass --database-url',
  DB_EMBEDDED_START_FAILED: 'or pass --database-url',
  CLI_API_NO_OPERATIONS: 'check <base-url> and --openapi',
};

/**
 * Runs the `outrig` command line on `argv` (the arguments after the program name) and resolves
 * to the exit code: 0 done, 1 the operation failed (one coded line on stderr), 2 usage error.
 *
 * @example
 * const code = await run(['outbox', 'status', '--json'], {
 *   env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/orders' },
 *   stdout: (text) => chunks.push(text),
 * });
 */
export async function run(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli: CliIo = { ...processIo(), ...io };
  const program = new Command('outrig')
    .description('The Outrig command line')
    .version(pkg.version)
    .configureOutput({ writeOut: (s) => cli.stdout(s), writeErr: (s) => cli.stderr(s) })
    .exitOverride()
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText(
      'after',
      `
Examples:
  $ outrig new acme
  $ outrig add resource notes-service tag
  $ outrig outbox status --database-url postgres://app:secret@db:5432/orders
  $ outrig outbox parked --service order-service
  $ outrig db migrate inventory-service
  $ outrig events tail product.events
  $ outrig saga list --status compensation_failed --service order-service
  $ outrig doctor
  $ outrig deploy render --target k8s
  $ outrig completion bash > ~/.local/share/bash-completion/completions/outrig
  $ outrig outbox --help`,
    );
  addOutboxCommands(program, cli);
  addDevCommand(program, cli);
  addDbCommands(program, cli);
  addEventsCommands(program, cli);
  addDoctorCommand(program, cli);
  addCompletionCommand(program, cli);
  addTestCommands(program, cli);
  addContractCommands(program, cli);
  addSagaCommands(program, cli);
  addNewCommand(program, cli);
  addAddCommands(program, cli);
  addDeployCommands(program, cli);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    cli.stderr(`${errorLine(err)}\n`);
    return 1;
  }
}

/** `error: CODE: message — next step`, on one line, never a stack trace. */
function errorLine(err: unknown): string {
  const flat = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
  if (isOutrigError(err)) {
    const next = NEXT_STEP[err.code];
    return `error: ${err.code}: ${flat(err.message)}${next ? ` — ${next}` : ''}`;
  }
  return `error: ${flat(err instanceof Error ? err.message : String(err))}`;
}
