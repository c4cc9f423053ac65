import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CompiledRoute } from '@outrig/gateway/routes';
import type { System, SystemService } from '../system/system-file.ts';
import { loadGatewayRoutes } from './gateway-routes.ts';

/**
 * The port every generated deployment gives a service's plain-HTTP health listener
 * (`HEALTH_PORT`: `/health`, `/ready`, `/metrics` only), so that probes, `HEALTHCHECK` and
 * Prometheus never need a client certificate when the service port requires one.
 */
export const HEALTH_PORT = 9000;

/** Seconds Kubernetes waits in `preStop` before SIGTERM, so endpoints drop the pod first. */
export const PRE_STOP_SECONDS = 5;

/** The kit's drain bound after SIGTERM (`SHUTDOWN_TIMEOUT_MS`), in milliseconds. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/** One service as the renderers see it. */
export interface DeployService {
  readonly name: string;
  readonly kind: 'service' | 'gateway';
  readonly port: number;
  readonly database: boolean;
  readonly auth: boolean;
  /** The service's folder relative to the npm workspace root, with `/` separators. */
  readonly workspaceDir: string;
  /** Workspace folders whose packages the service uses (copied into its image), sorted. */
  readonly workspaceDeps: readonly string[];
  /** Entry file relative to the service's folder. */
  readonly entry: string;
  /** `outrig.json` `env` (never `embeddedEnv`, which is for development only). */
  readonly env: Readonly<Record<string, string>>;
  /** Services this one calls: `calls` from outrig.json plus the auth issuer. */
  readonly calls: readonly string[];
  /** Services allowed to call this one: the gateway, the declared callers. */
  readonly callers: readonly string[];
}

/** What `outrig deploy render` renders from. */
export interface DeployModel {
  readonly system: string;
  /** Kubernetes namespace (default the system's name). */
  readonly namespace: string;
  readonly transport: System['transport'];
  /** Absolute path of the npm workspace root (the image build context). */
  readonly workspaceRoot: string;
  /** Absolute path of the system (where outrig.json is). */
  readonly systemRoot: string;
  readonly services: readonly DeployService[];
  /** The gateway's routes whose service is part of the system. */
  readonly routes: readonly CompiledRoute[];
  /** Routes naming services outrig.json does not list (not rendered; reported). */
  readonly skippedRoutes: readonly CompiledRoute[];
  /** Problems an image would have at start, found while rendering (printed as notes). */
  readonly warnings: readonly string[];
  /** Ops files shipped with the system (`ops/prometheus/alerts.yml`, `ops/grafana/*.json`). */
  readonly ops: { readonly alerts?: string; readonly dashboards: readonly string[] };
}

export interface DeployModelOptions {
  namespace?: string;
}

/**
 * Builds the deployment model of a system: services with their workspace folders, callers and
 * callees, the gateway's route table (from its routes module), and the shipped ops files.
 */
export async function buildDeployModel(
  system: System,
  options: DeployModelOptions = {},
): Promise<DeployModel> {
  const workspaceRoot = await findWorkspaceRoot(system.root);
  const workspaces = await readWorkspaces(workspaceRoot);
  const issuer = system.services.find((s) => s.auth);
  const gateway = system.services.find((s) => s.kind === 'gateway');
  const callsOf = (s: SystemService) =>
    [...new Set([...s.calls, ...(issuer && issuer !== s ? [issuer.name] : [])])].sort();
  const services: (DeployService & { callers: string[] })[] = system.services.map((s) => ({
    name: s.name,
    kind: s.kind,
    port: s.port,
    database: s.database,
    auth: s.auth,
    workspaceDir: posix(path.relative(workspaceRoot, s.dir)),
    workspaceDeps: workspaceDependencies(workspaces, s.dir).map((d) =>
      posix(path.relative(workspaceRoot, d)),
    ),
    entry: s.entry,
    env: s.env,
    calls: s.kind === 'gateway' ? [] : callsOf(s),
    callers: [],
  }));
  for (const s of services) {
    const callers = services.filter((o) => o.calls.includes(s.name)).map((o) => o.name);
    if (gateway && gateway.name !== s.name) callers.push(gateway.name);
    s.callers = [...new Set(callers)].sort();
  }
  const warnings: string[] = [];
  const adapter = system.transport === 'memory' ? undefined : `@outrig/messaging-${system.transport}`;
  for (const s of system.services) {
    const names = dependencyNames(workspaces, s.dir);
    if (adapter && names.has('@outrig/messaging') && !names.has(adapter)) {
      warnings.push(
        `${s.name} uses @outrig/messaging but does not depend on ${adapter}: its image would stop with BUS_ADAPTER_MISSING — add it to its package.json dependencies`,
      );
    }
  }
  const all = gateway ? await loadGatewayRoutes(gateway) : [];
  const names = new Set(services.map((s) => s.name));
  return {
    system: system.name,
    namespace: options.namespace ?? system.name,
    transport: system.transport,
    workspaceRoot,
    systemRoot: system.root,
    services,
    routes: all.filter((r) => names.has(r.service)),
    skippedRoutes: all.filter((r) => !names.has(r.service)),
    warnings,
    ops: await findOps(system.root),
  };
}

/** The nearest folder at or above `from` whose package.json declares workspaces. */
async function findWorkspaceRoot(from: string): Promise<string> {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {
        workspaces?: unknown;
      };
      if (pkg.workspaces !== undefined) return dir;
    } catch {}
    if (path.dirname(dir) === dir) return from;
  }
}

interface Workspace {
  readonly dir: string;
  readonly dependencies: readonly string[];
}

/** The workspace packages by name (`workspaces` entries `dir` and `dir/*`). */
async function readWorkspaces(root: string): Promise<Map<string, Workspace>> {
  const out = new Map<string, Workspace>();
  const pkg = await readJson(path.join(root, 'package.json'));
  const patterns = Array.isArray(pkg?.workspaces) ? (pkg.workspaces as string[]) : [];
  for (const pattern of patterns) {
    const dirs = pattern.endsWith('/*')
      ? await readdir(path.join(root, pattern.slice(0, -2))).then(
          (names) => names.map((n) => path.join(root, pattern.slice(0, -2), n)),
          () => [],
        )
      : [path.join(root, pattern)];
    for (const dir of dirs) {
      const ws = await readJson(path.join(dir, 'package.json'));
      if (typeof ws?.name !== 'string') continue;
      out.set(ws.name, { dir, dependencies: Object.keys((ws.dependencies as object | undefined) ?? {}) });
    }
  }
  return out;
}

/** Folders of the workspace packages `dir` depends on, directly or not (production only). */
function workspaceDependencies(workspaces: Map<string, Workspace>, dir: string): string[] {
  const own = [...workspaces.values()].find((w) => path.resolve(w.dir) === path.resolve(dir));
  const seen = new Set<string>();
  const queue = [...(own?.dependencies ?? [])];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    const ws = workspaces.get(name);
    if (ws === undefined || seen.has(ws.dir)) continue;
    seen.add(ws.dir);
    queue.push(...ws.dependencies);
  }
  return [...seen].sort();
}

/** Names of every production dependency of `dir`, through the workspace packages it uses. */
function dependencyNames(workspaces: Map<string, Workspace>, dir: string): Set<string> {
  const names = new Set<string>();
  const own = [...workspaces.values()].find((w) => path.resolve(w.dir) === path.resolve(dir));
  const queue = [...(own?.dependencies ?? [])];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (names.has(name)) continue;
    names.add(name);
    queue.push(...(workspaces.get(name)?.dependencies ?? []));
  }
  return names;
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function posix(p: string): string {
  return p.split(path.sep).join('/');
}

async function findOps(root: string): Promise<DeployModel['ops']> {
  const alerts = path.join(root, 'ops', 'prometheus', 'alerts.yml');
  const grafana = path.join(root, 'ops', 'grafana');
  const hasAlerts = await access(alerts).then(
    () => true,
    () => false,
  );
  const dashboards = await readdir(grafana).then(
    (names) =>
      names
        .filter((n) => n.endsWith('.json'))
        .sort()
        .map((n) => path.join(grafana, n)),
    () => [],
  );
  return { ...(hasAlerts ? { alerts } : {}), dashboards };
}

/** `inventory-service` → `inventory_service` (database and role names). */
export function sqlName(name: string): string {
  return name.replace(/-/g, '_');
}
