import path from 'node:path';
import { isOutrigError } from '@outrig/core/errors';
import { createPgClient, ensureEmbeddedPostgres, redactUrl, serviceDatabaseName } from '@outrig/db';
import { type Broker, resolveBroker, type TailMessage } from '@outrig/messaging';
import { type Command, InvalidArgumentError } from 'commander';
import { asCommandError, type SystemOptions, systemOf, systemOption } from './command-helpers.ts';
import { pgPort } from './database.ts';
import { embeddedPostgresPort } from './dev/embedded-port.ts';
import { CliErrors } from './errors.ts';
import { oneLine } from './format.ts';
import type { CliIo } from './io.ts';
import { exists } from './system/service-modules.ts';

type TailOptions = SystemOptions & { busUrl?: string; json?: boolean; count?: number };

/** The database of the postgres transport on the embedded server (as `outrig dev` creates it). */
const BUS_DATABASE = 'outrig_bus';

/** Adds `outrig events tail <topic...>` to `program`. */
export function addEventsCommands(program: Command, io: CliIo): void {
  const events = program
    .command('events')
    .description('Watch the events on the bus')
    .addHelpText(
      'after',
      `
Examples:
  $ outrig events tail product.events
  $ outrig events tail product.events order.events --json | jq .type`,
    );

  systemOption(
    events
      .command('tail')
      .argument('<topic...>', 'topics to watch, e.g. product.events')
      .option('--bus-url <url>', 'the bus (default: $BUS_URL, else the system’s embedded bus)')
      .option('--json', 'one CloudEvent per line, nothing else')
      .option('--count <n>', 'stop after n events', positiveInteger),
  )
    .description('Print events as they are published, one line each, until Ctrl-C')
    .addHelpText(
      'after',
      `
Bus (the first of): --bus-url, BUS_URL, the system's embedded bus (transport postgres: the
outrig_bus database on the embedded PostgreSQL that \`outrig dev\` runs).

Shows what is published from now on. It joins no consumer group and takes nothing away from
the services' consumers; when it stops it leaves nothing behind on the bus (no group, consumer
or offset). It never creates a topic: one that does not exist yet is waited for.

Line: <time> <topic> <type> key=<key> id=<id> <data, shortened>

Examples:
  $ outrig events tail product.events
  $ BUS_URL=nats://127.0.0.1:4222 outrig events tail product.events --json
  $ outrig events tail order.events --count 1 --json`,
    )
    .action(async (topics: string[], options: TailOptions, command: Command) => {
      const bus = await openBus(options, io);
      let broker: Broker | undefined;
      let stopSignal: (() => void) | undefined;
      try {
        // A failure while tailing (a lost connection, a message it cannot decode) is told, not fatal.
        const onError = (err: Error) => io.stderr(`warning: ${oneLine(err.message, 300)}\n`);
        broker = await resolveBroker(bus.url, {
          // No retention sweep (it would create the bus schema) and quick polls.
          postgres: {
            cleanupIntervalMs: 0,
            pollIntervalMs: 250,
            applicationName: 'outrig-events-tail',
            onError,
          },
          nats: { onError },
          importModule: (specifier) => import(specifier),
        });
        if (!broker.capabilities.tail || typeof broker.tail !== 'function') {
          throw CliErrors.CLI_BUS_UNAVAILABLE({
            params: { reason: `the ${broker.name} transport cannot be tailed (no capabilities.tail)` },
          });
        }
        let seen = 0;
        const done = new Promise<void>((resolve) => {
          stopSignal = resolve;
        });
        const tail = await broker.tail(topics, (m) => {
          if (options.count !== undefined && seen >= options.count) return;
          seen++;
          io.stdout(options.json ? `${JSON.stringify(m.event)}\n` : line(m));
          if (options.count !== undefined && seen >= options.count) stopSignal?.();
        });
        const onSignal = () => stopSignal?.();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        if (!options.json) {
          io.stderr(`Tailing ${topics.join(', ')} on ${bus.target} — Ctrl-C to stop\n`);
        }
        try {
          await done;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await tail.close();
        }
      } catch (cause) {
        throw asCommandError(command, cause);
      } finally {
        await broker?.close();
        await bus.close();
      }
    });
}

/** The bus URL and what to stop afterwards. */
async function openBus(
  options: TailOptions,
  io: CliIo,
): Promise<{ url: string; target: string; close(): Promise<void> }> {
  const given = options.busUrl ?? (io.env.BUS_URL || undefined);
  if (given !== undefined) return { url: given, target: redactUrl(given), close: async () => {} };
  let system: Awaited<ReturnType<typeof systemOf>>;
  try {
    system = await systemOf(options, io);
  } catch (err) {
    if (isOutrigError(err, 'CLI_SYSTEM_NOT_FOUND')) {
      throw CliErrors.CLI_BUS_UNAVAILABLE({
        params: { reason: 'pass --bus-url or set BUS_URL, or run this inside a system (outrig.json)' },
      });
    }
    throw err;
  }
  if (system.transport !== 'postgres') {
    throw CliErrors.CLI_BUS_UNAVAILABLE({
      params: {
        reason:
          system.transport === 'memory'
            ? 'the system uses the memory transport: its events never leave each process — use transport postgres or nats to watch them'
            : `the system uses the ${system.transport} transport: pass --bus-url or set BUS_URL to its server`,
      },
    });
  }
  if (io.env.DATABASE_URL) {
    // outrig dev's bus on a DATABASE_URL server (ADR 0010): database <system>_bus.
    const url = new URL(io.env.DATABASE_URL);
    url.pathname = `/${serviceDatabaseName(system.name)}_bus`;
    return { url: url.toString(), target: redactUrl(url.toString()), close: async () => {} };
  }
  const home = path.resolve(io.cwd, io.env.OUTRIG_HOME || system.root);
  const dataDir = path.join(home, '.outrig', 'postgres');
  if (!options.json && !(await exists(path.join(dataDir, 'postmaster.pid')))) {
    io.stderr(`Starting the embedded PostgreSQL (data in ${dataDir}) …\n`);
  }
  pgPort(io.env.OUTRIG_PG_PORT); // a bad value fails here, naming the variable
  const wanted = await embeddedPostgresPort(home, io.env, system.dev.postgresPort);
  const server = await ensureEmbeddedPostgres({
    dataDir,
    port: wanted.port,
    portTaken: wanted.strict ? 'fail' : 'any-free',
  });
  try {
    const admin = createPgClient({ url: server.adminUrl, max: 1 });
    try {
      const { rows } = await admin.query('select 1 from pg_database where datname = $1', [BUS_DATABASE]);
      if (rows.length === 0) {
        throw CliErrors.CLI_BUS_UNAVAILABLE({
          params: {
            reason: `the embedded server in ${dataDir} has no ${BUS_DATABASE} database yet: start the system once (outrig dev)`,
          },
        });
      }
    } finally {
      await admin.close();
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  const url = new URL(server.adminUrl);
  url.pathname = `/${BUS_DATABASE}`;
  return { url: url.toString(), target: redactUrl(url.toString()), close: () => server.stop() };
}

function line(m: TailMessage): string {
  const e = m.event;
  const data = e.data === undefined ? '' : ` ${oneLine(JSON.stringify(e.data), 200)}`;
  return `${e.time ?? new Date().toISOString()} ${m.topic} ${e.type} key=${m.key} id=${e.id}${data}\n`;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}
