import { parseDuration } from '@outrig/core';
import type { OutrigError } from '@outrig/core/errors';
import {
  actionName,
  listSagas,
  requestSagaAction,
  type SagaAction,
  type SagaDetails,
  SagaErrors,
  type SagaStatus,
  type SagaSummary,
  showSaga,
  waitForSagaRequest,
} from '@outrig/sagas';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { asCommandError, type SystemOptions, systemOf, usageError } from './command-helpers.ts';
import { openDatabase } from './database.ts';
import { CliErrors } from './errors.ts';
import { formatAge, formatTable, oneLine } from './format.ts';
import type { CliIo } from './io.ts';
import { openServiceDatabase } from './system/service-database.ts';
import { findDatabaseService } from './system/service-modules.ts';

type SagaDbOptions = SystemOptions & { databaseUrl?: string; service?: string; json?: boolean };

const STATUSES: readonly SagaStatus[] = [
  'running',
  'compensating',
  'completed',
  'compensated',
  'compensation_failed',
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const DATABASE_HELP = `
Database (the first of):
  --database-url <url>        a postgres:// URL
  --service <name>            that service's database, chosen as \`outrig db\` chooses it:
                              <SERVICE>_DATABASE_URL, else DATABASE_URL as a server, else the
                              system's embedded server (outrig.json from --system or the
                              current folder up)
  DATABASE_URL                environment variable, when neither option is given`;

const ACTION_HELP = `
The command has no saga definitions (they are code of the service), so it records the request
in the database (table saga_request) and the saga runtime of the service that runs the saga
carries it out at its next timer poll, in one transaction with the transition; the command
waits for that (--wait, default 30 s) and prints the new status. A request nobody handled in
time stays queued: it runs when the service is up (exit 1, CLI_SAGA_REQUEST_PENDING).`;

/** Adds `outrig saga list|show|retry|abort|resume-compensation` to `program`. */
export function addSagaCommands(program: Command, io: CliIo): void {
  const saga = program
    .command('saga')
    .description('Operate sagas: list and show instances, retry, abort, resume compensation')
    .addHelpText(
      'after',
      `
Examples:
  $ outrig saga list --status compensation_failed --service order-service
  $ outrig saga list --status running --older-than 1h --json
  $ outrig saga show 5f0c8f4e-3c1d-5e2a-9b7f-2d4e6a8c0b1d
  $ outrig saga abort 5f0c8f4e-3c1d-5e2a-9b7f-2d4e6a8c0b1d --reason "customer called"
  $ outrig saga resume-compensation 5f0c8f4e-3c1d-5e2a-9b7f-2d4e6a8c0b1d`,
    );

  databaseOptions(saga.command('list'))
    .description('Saga instances, oldest first')
    .addOption(
      new Option('--status <status...>', 'only instances with these statuses').choices([...STATUSES]),
    )
    .option('--older-than <duration>', 'only instances started longer ago (30s, 15m, 2h, 3d)', age)
    .option('--saga <name>', 'only instances of this saga')
    .option('--limit <n>', 'list at most n instances', positiveInteger, 100)
    .option('--json', 'print the instances as JSON')
    .addHelpText(
      'after',
      `${DATABASE_HELP}

Statuses: running, compensating, completed, compensated, compensation_failed (waits for an
operator: \`outrig saga resume-compensation <id>\`).

Examples:
  $ outrig saga list --service order-service
  $ outrig saga list --status running compensating --older-than 15m
  $ outrig saga list --saga order --status compensation_failed --json --database-url postgres://app:secret@db:5432/orders`,
    )
    .action(
      (
        options: SagaDbOptions & { status?: SagaStatus[]; olderThan?: number; saga?: string; limit: number },
        command: Command,
      ) =>
        withSagaDatabase(options, command, io, async (sql, target) => {
          const sagas = await listSagas(sql, {
            ...(options.status ? { status: options.status } : {}),
            ...(options.saga ? { saga: options.saga } : {}),
            ...(options.olderThan === undefined ? {} : { olderThanMs: options.olderThan }),
            limit: options.limit,
          });
          io.stdout(
            options.json ? `${JSON.stringify(sagas, null, 2)}\n` : listText(sagas, target, options.limit),
          );
        }),
    );

  databaseOptions(saga.command('show'))
    .description('One instance: its state, the history as a timeline, armed timers, parked messages')
    .argument('<id>', 'the instance id (a UUID, from `outrig saga list`)', instanceIdArg)
    .option('--json', 'print the instance as JSON')
    .addHelpText(
      'after',
      `${DATABASE_HELP}

Examples:
  $ outrig saga show 5f0c8f4e-3c1d-5e2a-9b7f-2d4e6a8c0b1d --service order-service
  $ outrig saga show 5f0c8f4e-3c1d-5e2a-9b7f-2d4e6a8c0b1d --json`,
    )
    .action((id: string, options: SagaDbOptions, command: Command) =>
      withSagaDatabase(options, command, io, async (sql) => {
        const details = await showSaga(sql, id);
        io.stdout(options.json ? `${JSON.stringify(details, null, 2)}\n` : showText(details));
      }),
    );

  actionCommand(saga, io, 'retry', 'Send the current command (step or compensation) again, as a new attempt');
  actionCommand(
    saga,
    io,
    'abort',
    'Stop a running instance and compensate the steps it attempted, in reverse',
  );
  actionCommand(
    saga,
    io,
    'resume',
    'Take a compensation_failed instance back to compensating (a new attempt budget)',
  );
}

function actionCommand(saga: Command, io: CliIo, action: SagaAction, description: string): void {
  const name = actionName(action);
  const allowed = {
    retry: 'running or compensating',
    abort: 'running',
    resume: 'compensation_failed',
  }[action];
  const command = databaseOptions(saga.command(name))
    .description(description)
    .argument('<id>', 'the instance id (a UUID, from `outrig saga list`)', instanceIdArg);
  if (action === 'abort') command.option('--reason <text>', 'why (kept in the history)');
  command
    .addOption(
      new Option('--wait <duration>', 'how long to wait for the service to carry it out')
        .argParser(age)
        .default(30_000, '30s'),
    )
    .option('--json', 'print the request as JSON')
    .addHelpText(
      'after',
      `${DATABASE_HELP}
${ACTION_HELP}

Allowed when the instance is ${allowed}; otherwise SAGA_ACTION_NOT_ALLOWED.

Examples:
  $ outrig saga ${name} 5f0c8f4e-3c1d-5e2a-9b7f-2d4e6a8c0b1d --service order-service${action === 'abort' ? ' --reason "customer called"' : ''}
  $ outrig saga ${name} 5f0c8f4e-3c1d-5e2a-9b7f-2d4e6a8c0b1d --wait 2m --database-url postgres://app:secret@db:5432/orders`,
    )
    .action((id: string, options: SagaDbOptions & { reason?: string; wait: number }, cmd: Command) =>
      withSagaDatabase(options, cmd, io, async (sql, target) => {
        const request = await requestSagaAction(sql, id, action, options.reason);
        const done = await waitForSagaRequest(sql, request.id, options.wait);
        if (done.error) {
          const factory = (SagaErrors as unknown as Record<string, (o: object) => OutrigError>)[
            done.error.code
          ];
          throw factory
            ? factory({ message: done.error.message })
            : new Error(`${done.error.code}: ${done.error.message}`);
        }
        if (done.handledAt === null) {
          throw CliErrors.CLI_SAGA_REQUEST_PENDING({
            params: {
              action: name,
              id,
              saga: done.saga,
              wait: formatAge(options.wait),
              request: done.id,
              database: target,
            },
          });
        }
        io.stdout(
          options.json
            ? `${JSON.stringify(done, null, 2)}\n`
            : `${name} of ${id} (${done.saga}) done: it is ${done.outcome} now. \`outrig saga show ${id}\` shows its history.\n`,
        );
      }),
    );
}

function databaseOptions(command: Command): Command {
  return command
    .addOption(new Option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)'))
    .option('--service <name>', "that service's database (as `outrig db` finds it)")
    .option('--system <dir>', 'folder of the system, for --service (default: the nearest with outrig.json)');
}

/**
 * Opens the database (`--service` as `outrig db` does, else `--database-url`, else DATABASE_URL),
 * runs `fn`, closes it. Missing saga tables become CLI_SAGAS_MISSING; other failures after
 * connecting CLI_COMMAND_FAILED (coded errors pass through).
 */
async function withSagaDatabase(
  options: SagaDbOptions,
  command: Command,
  io: CliIo,
  fn: (sql: import('@outrig/db').SqlClient, target: string) => Promise<void>,
): Promise<void> {
  let db: { sql: import('@outrig/db').SqlClient; target: string; close(): Promise<void> } | undefined;
  if (options.service !== undefined) {
    const system = await systemOf(options, io);
    const service = findDatabaseService(system, options.service);
    db = await openServiceDatabase(
      system,
      service,
      {
        ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
        ...(options.json ? {} : { progress: (text: string) => io.stderr(text) }),
      },
      io,
    );
  } else {
    db = await openDatabase(
      options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl },
      io,
    );
  }
  if (db === undefined) {
    usageError(command, 'no database: pass --database-url <url> or --service <name>, or set DATABASE_URL');
  }
  try {
    await fn(db.sql, db.target);
  } catch (cause) {
    if ((cause as { code?: unknown }).code === '42P01') {
      throw CliErrors.CLI_SAGAS_MISSING({ params: { database: db.target }, cause });
    }
    throw asCommandError(command, cause);
  } finally {
    await db.close();
  }
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function listText(sagas: readonly SagaSummary[], target: string, limit: number): string {
  if (sagas.length === 0) return `No saga instances matched in ${target}.\n`;
  const now = Date.now();
  let text = formatTable(
    ['ID', 'SAGA', 'VERSION', 'KEY', 'STATUS', 'STEP', 'STARTED', 'AGE'],
    sagas.map((s) => [
      s.id,
      s.saga,
      String(s.version),
      oneLine(s.key, 40),
      s.status,
      `${s.step} ${s.phase}`,
      iso(s.startedAt),
      formatAge(Math.max(0, now - s.startedAt.getTime())),
    ]),
  );
  if (sagas.length === limit) text += `\nShowing the first ${limit}: pass --limit to see more.\n`;
  text += '\nNext: `outrig saga show <id>`.\n';
  return text;
}

function showText(d: SagaDetails): string {
  const rows: [string, string][] = [
    ['id', d.id],
    ['saga', `${d.saga} v${d.version}`],
    ['key', d.key],
    ['status', d.status],
    ['step', `${d.step} (${d.phase}, attempt ${d.state.attempt})`],
    ['started', iso(d.startedAt)],
    ['updated', iso(d.updatedAt)],
  ];
  if (d.state.reason) rows.push(['reason', d.state.reason]);
  let text = rows.map(([k, v]) => `${k.padEnd(9)}${v}\n`).join('');
  const start = d.startedAt.getTime();
  text += `\nHistory (${d.history.length}):\n`;
  text += formatTable(
    ['SEQ', 'AT', 'SINCE START', 'KIND', 'STATUS', 'STEP', 'DETAIL'],
    d.history.map((h) => [
      String(h.seq),
      iso(h.at),
      `+${(Math.max(0, h.at.getTime() - start) / 1000).toFixed(3)}s`,
      h.kind,
      h.from === null || h.from === h.to ? h.to : `${h.from} → ${h.to}`,
      `${h.step} ${h.phase} #${h.attempt}`,
      oneLine(h.detail ? JSON.stringify(h.detail) : '', 80),
    ]),
  );
  if (d.timers.length > 0) {
    text += `\nTimers:\n${formatTable(
      ['NAME', 'DUE', 'TOKEN'],
      d.timers.map((t) => [t.name, iso(t.dueAt), t.token]),
    )}`;
  }
  if (d.parked.length > 0) {
    text += `\nParked messages:\n${formatTable(
      ['EVENT', 'TYPE', 'AT', 'REASON'],
      d.parked.map((p) => [p.eventId, p.type, iso(p.at), oneLine(p.reason, 80)]),
    )}`;
  }
  const next: Record<SagaStatus, string> = {
    running: `\`outrig saga retry ${d.id}\` re-sends the current command; \`outrig saga abort ${d.id}\` compensates.\n`,
    compensating: `\`outrig saga retry ${d.id}\` re-sends the current compensation.\n`,
    compensation_failed: `\`outrig saga resume-compensation ${d.id}\` tries the compensation again.\n`,
    completed: '',
    compensated: '',
  };
  if (next[d.status]) text += `\nNext: ${next[d.status]}`;
  return text;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

/** `30s`, `15m`, `2h`, `3d`, `500ms` in milliseconds. */
function age(value: string): number {
  const days = /^(\d+(?:\.\d+)?)\s*d(?:ays?)?$/i.exec(value.trim());
  const ms = days ? Math.round(Number(days[1]) * 86_400_000) : parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new InvalidArgumentError('expected a duration such as 30s, 15m, 2h or 3d.');
  }
  return ms;
}

function instanceIdArg(value: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError(`${value} is not a saga instance id (a UUID).`);
  return value;
}
