import net from 'node:net';
import path from 'node:path';
import { planDashboard } from '../dashboard/dashboard-options.ts';
import { type DevDashboard, startDevDashboard } from '../dashboard/dev-dashboard.ts';
import { DevHub } from '../dashboard/dev-hub.ts';
import { CliErrors } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { loadSystem, SYSTEM_FILE, type System, type SystemService } from '../system/system-file.ts';
import { type DevDatabases, prepareDatabases } from './dev-databases.ts';
import { createAuthEnv, dashboardTelemetryEnv, serviceEnv, servicePort } from './dev-env.ts';
import { createDevOutput, type DevOutput } from './dev-output.ts';
import { ServiceRunner, StartFailure } from './service-runner.ts';
import { urlTable } from './url-table.ts';

export interface DevOptions {
  /** Folder to look for outrig.json in (and above). Default: the current folder. */
  cwd?: string;
  /** Run only these services. */
  only?: string[];
  /** One JSON object per line, no decoration. */
  json?: boolean;
  /** How long each service may take to answer /health. Default 60 s. */
  startTimeoutMs?: number;
  /**
   * Keep a warm standby process per service (its dependencies loaded, its own files not yet) to
   * reload and restart from. Default true; false saves one idle process per service.
   */
  standby?: boolean;
  /** `--no-dashboard`: false. Default: on (off under NODE_ENV=production). */
  dashboard?: boolean;
  /** `--dashboard-port`: the dashboard's port (0: any free one). Default OUTRIG_DASHBOARD_PORT, else 9400. */
  dashboardPort?: number;
}

/** Where `outrig dev` waits for its stop signal; tests pass their own. */
export interface DevSignals {
  /** Resolves when the run should stop (SIGINT/SIGTERM by default). */
  readonly stopped: Promise<unknown>;
  dispose(): void;
}

/**
 * `outrig dev`: the system of outrig.json on one machine — databases (embedded PostgreSQL, or
 * DATABASE_URL servers), every service as its own process with reload and restart, a URL table.
 * Resolves when stopped (everything it started has exited); throws a coded error when the
 * system cannot start (after stopping what did).
 */
export async function runDev(options: DevOptions, io: CliIo, signals = processSignals()): Promise<void> {
  // The database server is an unref'ed child: without this, waiting for it to stop would let
  // the event loop run dry and the process end before the server has stopped.
  const keepAlive = setInterval(() => {}, 60_000);
  try {
    await runSystem(options, io, signals);
  } finally {
    clearInterval(keepAlive);
    signals.dispose();
  }
}

async function runSystem(options: DevOptions, io: CliIo, signals: DevSignals): Promise<void> {
  const began = Date.now();
  const system = await loadSystem(path.resolve(io.cwd, options.cwd ?? '.'));
  const services = select(system, options.only);
  const dashboardPlan = planDashboard(
    {
      ...(options.dashboard === undefined ? {} : { enabled: options.dashboard }),
      ...(options.dashboardPort === undefined ? {} : { port: options.dashboardPort }),
    },
    io.env,
  );
  const colour = !options.json && io.env.NO_COLOR === undefined && process.stdout.isTTY === true;
  const hub = dashboardPlan.enabled ? new DevHub() : undefined;
  const plainOut = createDevOutput({
    json: options.json === true,
    colour,
    stdout: io.stdout,
    stderr: io.stderr,
    nameWidth: Math.max(...services.map((s) => s.name.length)),
  });
  const out = hub ? hub.tee(plainOut) : plainOut;
  if (!dashboardPlan.enabled && dashboardPlan.note) out.note(dashboardPlan.note);
  const home = path.resolve(io.cwd, io.env.OUTRIG_HOME ?? system.root);
  const runners: ServiceRunner[] = [];
  let databases: DevDatabases | undefined;
  let dashboard: DevDashboard | undefined;
  const stopAll = async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await dashboard?.close();
    await databases?.stop();
  };
  try {
    databases = await startDatabases(system, services, home, io, out);
    const ports = await choosePorts(system.services, io.env);
    const authEnv = createAuthEnv(system, ports, io.env);
    const behindGateway = system.services.some((s) => s.kind === 'gateway');
    const databaseEnvs = new Map<string, Record<string, string>>();
    for (const service of services) databaseEnvs.set(service.name, await databases.envFor(service));
    const ownCollector = Object.keys(dashboardTelemetryEnv('http://127.0.0.1', io.env)).length === 0;
    if (hub && dashboardPlan.enabled) {
      dashboard = await startDevDashboard({
        plan: dashboardPlan,
        system: system.name,
        services: services.map((s) => ({
          name: s.name,
          kind: s.kind,
          port: ports.get(s.name)!,
          url: `http://127.0.0.1:${ports.get(s.name)!}`,
          database: s.database,
          auth: s.auth,
        })),
        hub,
        envs: databaseEnvs,
        control: {
          stop: async (name) => runners.find((r) => r.service.name === name)?.pause(),
          start: async (name) => runners.find((r) => r.service.name === name)?.resume(),
        },
        receivesTraces: !ownCollector,
        ...registrySpec(system, io.env, home),
      });
    }
    const telemetry = dashboard ? dashboardTelemetryEnv(dashboard.otlpEndpoint, io.env) : {};
    if (dashboard)
      out.emit({ event: 'dashboard', url: dashboard.url, otlp: Object.keys(telemetry).length > 0 });
    for (const service of services) {
      const env = serviceEnv(service, io.env, {
        home,
        port: ports.get(service.name)!,
        database: databaseEnvs.get(service.name)!,
        auth: authEnv(service),
        embedded: databases.embedded(service),
        behindGateway,
        telemetry,
      });
      runners.push(
        new ServiceRunner(service, ports.get(service.name)!, env, out, {
          startTimeoutMs: options.startTimeoutMs ?? 60_000,
          standby: options.standby !== false,
        }),
      );
    }
    const starting = Promise.all(runners.map((r) => r.start()));
    const first = await Promise.race([starting, signals.stopped.then(() => 'signal' as const)]);
    if (first === 'signal') {
      await stopAll();
      out.emit({ event: 'stopped' });
      return;
    }
  } catch (err) {
    await stopAll();
    if (err instanceof StartFailure) {
      out.note(`\n${err.service} failed to start (${err.message}). Its output:\n\n`);
      for (const line of err.lines) out.note(`  ${line}\n`);
      throw CliErrors.CLI_DEV_START_FAILED({
        params: { service: err.service, reason: err.message },
        details: { service: err.service, code: err.exit?.code ?? null },
      });
    }
    throw err;
  }
  // Watch before saying `running`: a file saved right after it must reload its service.
  for (const r of runners) await r.supervise();
  out.emit({
    event: 'running',
    services: runners.map((r) => ({ service: r.service.name, pid: r.pid, url: r.url })),
    ms: Date.now() - began,
  });
  out.note(urlTable(system, runners, dashboard?.url));
  await signals.stopped;
  out.note('\nStopping …\n');
  await stopAll();
  out.emit({ event: 'stopped' });
}

function select(system: System, only: string[] | undefined): SystemService[] {
  if (only === undefined || only.length === 0) return [...system.services];
  const names = new Set(system.services.map((s) => s.name));
  for (const name of only) {
    if (!names.has(name)) {
      throw CliErrors.CLI_SERVICE_UNKNOWN({
        params: {
          service: name,
          file: path.join(system.root, SYSTEM_FILE),
          services: [...names].join(', '),
        },
      });
    }
  }
  return system.services.filter((s) => only.includes(s.name));
}

async function startDatabases(
  system: System,
  services: readonly SystemService[],
  home: string,
  io: CliIo,
  out: DevOutput,
): Promise<DevDatabases> {
  const embedded = services.some((s) => s.database) && !io.env.DATABASE_URL;
  if (embedded)
    out.note(`Starting embedded PostgreSQL (data in ${path.join(home, '.outrig', 'postgres')}) …\n`);
  const databases = await prepareDatabases(system, services, home, io.env);
  const server = databases.server;
  if (server) {
    if (databases.movedFrom !== undefined) {
      out.note(
        `Port ${databases.movedFrom} is taken by another process: the server listens on ${server.port}.\n`,
      );
    }
    out.emit({ event: 'database', source: 'embedded', dataDir: server.dataDir, port: server.port });
  } else if (services.some((s) => s.database)) {
    out.emit({ event: 'database', source: io.env.DATABASE_URL ? 'server' : 'per-service' });
  }
  return databases;
}

/** Every service's port (all of them, so the auth wiring knows the issuer's); `0` becomes a free one. */
async function choosePorts(
  services: readonly SystemService[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<Map<string, number>> {
  const ports = new Map<string, number>();
  for (const s of services) {
    const port = servicePort(s, env);
    ports.set(s.name, port === 0 ? await freePort() : port);
  }
  return ports;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** SIGINT or SIGTERM, once; a second one while stopping kills at once (exit 130). */
function processSignals(): DevSignals {
  let handler: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    let count = 0;
    handler = () => {
      if (++count > 1) process.exit(130);
      resolve();
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
  return {
    stopped,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** The registry the services use in this run, for the dashboard: REGISTRY_URL, else `local:` for a local system. */
function registrySpec(
  system: System,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): { registry?: { url: string; home: string } } {
  const url = env.REGISTRY_URL || (system.registry === 'local' ? 'local:' : undefined);
  return url === undefined ? {} : { registry: { url, home } };
}
