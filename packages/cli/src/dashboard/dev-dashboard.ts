import { CliErrors } from '../errors.ts';
import { BusPanel } from './bus-panel.ts';
import type { DashboardService, ServiceControl } from './dashboard-api.ts';
import type { DashboardPlan } from './dashboard-options.ts';
import { type DashboardServer, startDashboardServer } from './dashboard-server.ts';
import { DatabasePools } from './database-pools.ts';
import type { DevHub } from './dev-hub.ts';
import { OutboxPanel } from './outbox-panel.ts';
import { RegistryPanel } from './registry-panel.ts';
import { SagaPanel } from './saga-panel.ts';

/** The dashboard of one `outrig dev` run, with the database panels it opened. */
export interface DevDashboard {
  readonly url: string;
  /** Where the services export spans: the dashboard's URL (OTLP/HTTP, `/v1/traces`). */
  readonly otlpEndpoint: string;
  close(): Promise<void>;
}

export interface DevDashboardOptions {
  readonly plan: DashboardPlan & { enabled: true };
  readonly system: string;
  readonly services: readonly DashboardService[];
  readonly hub: DevHub;
  /** Each service's environment in this run (DATABASE_URL, BUS_URL). */
  readonly envs: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly control: ServiceControl;
  /** False when the services export their spans elsewhere (the user's OTLP endpoint). */
  readonly receivesTraces: boolean;
  /** The registry the services use (`local:`, a REGISTRY_URL) and OUTRIG_HOME; none: not shown. */
  readonly registry?: { readonly url: string; readonly home: string };
}

/**
 * Starts the dashboard for `outrig dev`: on the planned port, or on a free one when the default
 * port is taken (CLI_DASHBOARD_PORT_IN_USE when the port was asked for).
 */
export async function startDevDashboard(o: DevDashboardOptions): Promise<DevDashboard> {
  const databases = new Map<string, string>();
  let busUrl: string | undefined;
  for (const [name, env] of o.envs) {
    if (env.DATABASE_URL?.startsWith('postgres')) databases.set(name, env.DATABASE_URL);
    if (busUrl === undefined && env.BUS_URL?.startsWith('postgres')) busUrl = env.BUS_URL;
  }
  const pools = new DatabasePools(databases);
  const outbox = new OutboxPanel(pools);
  const bus = busUrl === undefined ? undefined : new BusPanel(busUrl);
  const registry = o.registry && new RegistryPanel(o.registry.url, o.registry.home);
  const context = {
    system: o.system,
    services: o.services,
    hub: o.hub,
    outbox,
    sagas: new SagaPanel(pools),
    ...(registry ? { registry } : {}),
    ...(bus === undefined ? {} : { bus }),
    control: o.control,
    receivesTraces: o.receivesTraces,
  };
  let server: DashboardServer;
  try {
    server = await startDashboardServer(context, o.plan.port).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' && !o.plan.strict) return startDashboardServer(context, 0);
      throw err;
    });
  } catch (cause) {
    await Promise.allSettled([pools.close(), bus?.close(), registry?.close()]);
    throw CliErrors.CLI_DASHBOARD_PORT_IN_USE({
      params: { port: o.plan.port, source: o.plan.source, reason: (cause as Error).message },
      cause,
    });
  }
  bus?.watch((event) => o.hub.busEvent(event));
  return {
    url: server.url,
    otlpEndpoint: server.url,
    async close() {
      await server.close();
      await Promise.allSettled([pools.close(), bus?.close(), registry?.close()]);
    },
  };
}
