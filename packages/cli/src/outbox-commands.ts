import { isOutrigError } from '@outrig/core/errors';
import {
  listParked,
  type OutboxStatus,
  outboxStatus,
  type ParkedEvent,
  type RedriveFilter,
  redriveParked,
  skipParked,
} from '@outrig/messaging';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type DatabaseOptions, type OpenDatabase, openDatabase } from './database.ts';
import { CliErrors } from './errors.ts';
import { formatAge, formatTable, oneLine } from './format.ts';
import type { CliIo } from './io.ts';

const DATABASE_HELP = `
Database (one of):
  --database-url <url>   a postgres:// URL
  --service <name>       that service's database on the system's embedded server
                         (started if needed on $OUTRIG_PG_PORT, default 5488,
                         and stopped again after the command; a running one is left running)
  DATABASE_URL           environment variable, used when neither option is given`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Adds `outrig outbox status|parked|retry|skip` to `program`. */
export function addOutboxCommands(program: Command, io: CliIo): void {
  const outbox = program
    .command('outbox')
    .description('Inspect the transactional outbox and decide what happens to parked events')
    .addHelpText(
      'after',
      `
Examples:
  $ outrig outbox status --database-url postgres://app:secret@db:5432/orders
  $ outrig outbox parked --service order-service
  $ outrig outbox retry --aggregate order:4f1c2b
  $ outrig outbox skip --id 0197c5e2-8a4b-7c3d-9e2f-1a2b3c4d5e6f`,
    );

  databaseOptions(outbox.command('status'))
    .description('Pending and parked counts, the oldest pending age, partitions and live relays')
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      `${DATABASE_HELP}

Examples:
  $ outrig outbox status --database-url postgres://app:secret@db:5432/orders
  $ DATABASE_URL=postgres://app:secret@db:5432/orders outrig outbox status --json`,
    )
    .action((options: DatabaseOptions & { json?: boolean }, command: Command) =>
      withDatabase(options, command, io, async (db) => {
        const status = await outboxStatus(db.sql);
        io.stdout(options.json ? `${JSON.stringify(status, null, 2)}\n` : statusText(status, db.target));
      }),
    );

  databaseOptions(outbox.command('parked'))
    .description('List parked events (those that exhausted their attempts), oldest first')
    .option('--limit <n>', 'list at most n events', positiveInteger, 100)
    .option('--json', 'print the events as JSON')
    .addHelpText(
      'after',
      `${DATABASE_HELP}

A parked event blocks the later events of its aggregate until you retry or skip it.

Examples:
  $ outrig outbox parked --service order-service
  $ outrig outbox parked --limit 20 --json --database-url postgres://app:secret@db:5432/orders`,
    )
    .action((options: DatabaseOptions & { json?: boolean; limit: number }, command: Command) =>
      withDatabase(options, command, io, async (db) => {
        const events = await listParked(db.sql, { limit: options.limit });
        io.stdout(
          options.json
            ? `${JSON.stringify(events, null, 2)}\n`
            : parkedText(events, db.target, options.limit),
        );
      }),
    );

  databaseOptions(outbox.command('retry'))
    .description('Put parked events back to pending: the relay publishes them again, in version order')
    .option('--id <uuid...>', 'the parked events with these ids', uuids)
    .option('--aggregate <type:id>', "one aggregate's parked events", aggregate)
    .option('--all', 'every parked event')
    .addHelpText(
      'after',
      `${DATABASE_HELP}

Say which events with exactly one of --id, --aggregate or --all. Their attempts start again
from zero; the later events of their aggregates that waited behind them go out after them.

Examples:
  $ outrig outbox retry --id 0197c5e2-8a4b-7c3d-9e2f-1a2b3c4d5e6f --service order-service
  $ outrig outbox retry --aggregate order:4f1c2b --database-url postgres://app:secret@db:5432/orders
  $ outrig outbox retry --all`,
    )
    .action(
      (
        options: DatabaseOptions & { id?: string[]; aggregate?: { type: string; id: string }; all?: boolean },
        command: Command,
      ) => {
        const filters: RedriveFilter[] = [];
        if (options.id !== undefined) filters.push({ ids: options.id });
        if (options.aggregate !== undefined) filters.push({ aggregate: options.aggregate });
        if (options.all === true) filters.push({ all: true });
        if (filters.length !== 1) {
          command.error('error: say which parked events with exactly one of --id, --aggregate or --all', {
            exitCode: 2,
            code: 'outrig.usage',
          });
        }
        return withDatabase(options, command, io, async (db) => {
          const n = await redriveParked(db.sql, filters[0]!);
          io.stdout(
            n === 0
              ? `No parked event matched in ${db.target}: list them with \`outrig outbox parked\`.\n`
              : `${count(n)} back to pending in ${db.target}: the relay publishes them in version order.\n`,
          );
        });
      },
    );

  databaseOptions(outbox.command('skip'))
    .description("Give up on parked events: never published; their aggregates' later events go out")
    .requiredOption('--id <uuid...>', 'the parked events with these ids', uuids)
    .addHelpText(
      'after',
      `${DATABASE_HELP}

Skipped events stay in the table (state skipped) and are never published. Consumers miss them:
skip only what they can do without, or what you have dealt with by hand.

Examples:
  $ outrig outbox skip --id 0197c5e2-8a4b-7c3d-9e2f-1a2b3c4d5e6f --service order-service
  $ outrig outbox skip --id <uuid> <uuid> --database-url postgres://app:secret@db:5432/orders`,
    )
    .action((options: DatabaseOptions & { id: string[] }, command: Command) => {
      return withDatabase(options, command, io, async (db) => {
        const n = await skipParked(db.sql, options.id);
        io.stdout(
          n === 0
            ? `No parked event matched in ${db.target}: list them with \`outrig outbox parked\`.\n`
            : `${count(n)} skipped in ${db.target}: never published; the later events of their aggregates go out now.\n`,
        );
      });
    });
}

function databaseOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)').conflicts('service'),
    )
    .option('--service <name>', "use this service's database on the system's embedded server")
    .option('--home <dir>', 'root folder of the system, for --service (default: $OUTRIG_HOME, else .)');
}

/**
 * Opens the database, runs `fn`, closes it. A missing outbox table becomes CLI_OUTBOX_MISSING,
 * any other failure after connecting CLI_COMMAND_FAILED (coded errors pass through).
 */
async function withDatabase(
  options: DatabaseOptions,
  command: Command,
  io: CliIo,
  fn: (db: OpenDatabase) => Promise<void>,
): Promise<void> {
  const db = await openDatabase(options, io);
  if (db === undefined) {
    command.error('error: no database: pass --database-url <url> or --service <name>, or set DATABASE_URL', {
      exitCode: 2,
      code: 'outrig.usage',
    });
  }
  try {
    await fn(db);
  } catch (cause) {
    if ((cause as { code?: unknown }).code === '42P01') {
      throw CliErrors.CLI_OUTBOX_MISSING({ params: { database: db.target }, cause });
    }
    if (isOutrigError(cause)) throw cause;
    const err = cause as { code?: string; message?: string };
    const reason = [err.code, err.message].filter(Boolean).join(': ') || String(cause);
    throw CliErrors.CLI_COMMAND_FAILED({
      params: { command: `outrig outbox ${command.name()}`, reason },
      cause,
    });
  } finally {
    await db.close();
  }
}

function statusText(status: OutboxStatus, target: string): string {
  const relays = status.relays.map((r) => `${r.id}: ${r.partitions} partitions`).join(', ');
  const rows: [string, string][] = [
    ['database', target],
    ['pending', String(status.pending)],
    ['oldest pending', status.oldestPendingAgeMs === null ? '-' : formatAge(status.oldestPendingAgeMs)],
    ['parked', String(status.parked)],
    ['partitions', String(status.partitions)],
    ['live relays', status.relays.length === 0 ? '0' : `${status.relays.length} (${relays})`],
  ];
  let text = rows.map(([k, v]) => `${k.padEnd(16)}${v}\n`).join('');
  if (status.parked > 0) {
    text += `\n${count(status.parked)} block their aggregates: list them with \`outrig outbox parked\`, then retry or skip them.\n`;
  }
  if (status.pending > 0 && status.relays.length === 0) {
    text += `\nNo relay is running: pending events wait until a service with an outbox relay starts.\n`;
  }
  return text;
}

function parkedText(events: readonly ParkedEvent[], target: string, limit: number): string {
  if (events.length === 0) return `No parked events in ${target}.\n`;
  let text = formatTable(
    ['ID', 'TYPE', 'AGGREGATE', 'VERSION', 'ATTEMPTS', 'CREATED', 'LAST ERROR'],
    events.map((e) => [
      e.id,
      e.type,
      `${e.aggregateType}:${e.aggregateId}`,
      String(e.aggregateVersion),
      String(e.attempts),
      e.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      oneLine(e.lastError ?? '', 80),
    ]),
  );
  if (events.length === limit) text += `\nShowing the first ${limit}: pass --limit to see more.\n`;
  text += `\nNext: \`outrig outbox retry --id <id>\` (or --aggregate <type>:<id>, --all), or \`outrig outbox skip --id <id>\`.\n`;
  return text;
}

function count(n: number): string {
  return n === 1 ? '1 parked event' : `${n} parked events`;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

function aggregate(value: string): { type: string; id: string } {
  const at = value.indexOf(':');
  if (at < 1 || at === value.length - 1) {
    throw new InvalidArgumentError('expected <type>:<id>, for example order:4f1c2b.');
  }
  return { type: value.slice(0, at), id: value.slice(at + 1) };
}

/** Collects `--id a b --id c` into one list, each checked to be a UUID. */
function uuids(value: string, previous: string[] | undefined): string[] {
  if (!UUID.test(value)) throw new InvalidArgumentError(`${value} is not an event id (a UUID).`);
  return [...(previous ?? []), value];
}
