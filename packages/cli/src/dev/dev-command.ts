import { type Command, InvalidArgumentError } from 'commander';
import { commaList } from '../command-helpers.ts';
import type { CliIo } from '../io.ts';
import { runDev } from './run-dev.ts';

/** Adds `outrig dev` to `program`. */
export function addDevCommand(program: Command, io: CliIo): void {
  program
    .command('dev')
    .description('Run the system of outrig.json: databases, every service with reload and restart')
    .option('--cwd <dir>', 'folder of the system (outrig.json here or above)', '.')
    .option('--only <services>', 'run only these services (comma-separated)', commaList)
    .option('--json', 'one JSON object per line (started, ready, exited, restarted, reloaded, …)')
    .option('--start-timeout <seconds>', 'how long each service may take to answer /health', seconds, 60)
    .option('--no-standby', 'no warm standby process per service (reloads take longer, less memory)')
    .option(
      '--dashboard-port <port>',
      'the dashboard on 127.0.0.1:<port> (default $OUTRIG_DASHBOARD_PORT, else 9400)',
      portNumber,
    )
    .option('--no-dashboard', 'no dashboard (also OUTRIG_DASHBOARD=off); it is off under NODE_ENV=production')
    .addHelpText(
      'after',
      `
Databases (a database per service):
  <SERVICE>_DATABASE_URL  that service's own database, used as is
                          (DATABASE_URL_<SERVICE> is accepted too)
  DATABASE_URL            a server: each service gets database <system>_<service> on it,
                          created if absent (the role needs CREATEDB, or create them first)
  neither                 the embedded PostgreSQL server in <OUTRIG_HOME>/.outrig/postgres,
                          on OUTRIG_PG_PORT or outrig.json dev.postgresPort (5488); a port
                          taken by another process moves it to a free one (remembered in
                          .outrig/postgres.port) unless OUTRIG_PG_PORT asks for that port

Environment: <SERVICE>_PORT overrides a service's port (0: any free one); OUTRIG_HOME is the
folder of .outrig/ (default: the system's folder); BUS_URL, REGISTRY_URL, JWT_* pass through;
NO_COLOR turns colours off.

Dashboard: http://127.0.0.1:9400 (9400 taken: a free port, printed in the URL table) shows
services, logs, traces, events and outboxes, and sends requests through the gateway. The
services export their spans to it unless OTEL_EXPORTER_OTLP_ENDPOINT is set.

Examples:
  $ outrig dev
  $ outrig dev --cwd examples/shop --only auth-service,inventory-service
  $ outrig dev --json | jq -c 'select(.event == "reloaded")'`,
    )
    .action(
      (options: {
        cwd: string;
        only?: string[];
        json?: boolean;
        startTimeout: number;
        standby: boolean;
        dashboard: boolean;
        dashboardPort?: number;
      }) =>
        runDev(
          {
            cwd: options.cwd,
            ...(options.only ? { only: options.only } : {}),
            json: options.json === true,
            startTimeoutMs: options.startTimeout * 1000,
            standby: options.standby,
            dashboard: options.dashboard,
            ...(options.dashboardPort === undefined ? {} : { dashboardPort: options.dashboardPort }),
          },
          io,
        ),
    );
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds above 0.');
  return n;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('expected a port number (0-65535).');
  return n;
}
