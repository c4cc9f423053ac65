import pkg from '../../package.json' with { type: 'json' };
import type { SystemFile } from '../system/system-file.ts';
import type { FilePlan } from './file-plan.ts';
import type { ResourceNames } from './names.ts';
import { planResource } from './plan-resource.ts';
import { serviceFiles } from './templates/service-files.ts';
import { TOOL_VERSIONS } from './versions.ts';

/** The port of the first service of a new system; later ones take the next free one. */
export const FIRST_SERVICE_PORT = 8001;

/** What a new service is. */
export interface NewService {
  readonly name: string;
  /** npm scope of the system's packages: `@<system>/<service>`. */
  readonly scope: string;
  /** Its first resource (the gateway routes `/api/*\/<plural>` to it). */
  readonly resource: ResourceNames;
}

/** The dependencies of a service, with Outrig at this CLI's version (the root's overrides may redirect them). */
export function serviceDependencies(transport: SystemFile['transport']): Record<string, string> {
  const adapter = transport === 'nats' ? '@outrig/messaging-nats' : '@outrig/messaging-postgres';
  return Object.fromEntries(
    Object.entries({
      '@outrig/core': pkg.version,
      '@outrig/db': pkg.version,
      '@outrig/discovery': pkg.version,
      '@outrig/messaging': pkg.version,
      [adapter]: pkg.version,
      'drizzle-orm': TOOL_VERSIONS['drizzle-orm'],
    }).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** The lowest port from FIRST_SERVICE_PORT up that no service of `system` uses. */
export function nextFreePort(system: SystemFile): number {
  const used = new Set(Object.values(system.services).map((s) => s.port));
  let port = FIRST_SERVICE_PORT;
  while (used.has(port)) port++;
  return port;
}

/**
 * Plans a service folder `services/<name>` with its first resource, and its entry in `system`
 * (mutated: the caller writes outrig.json). The gateway, when the system has one, gets its route.
 */
export async function planService(plan: FilePlan, system: SystemFile, service: NewService): Promise<void> {
  const dir = `services/${service.name}`;
  const port = nextFreePort(system);
  const auth = hasAuth(system);
  const files = serviceFiles({
    name: service.name,
    packageName: `@${service.scope}/${service.name}`,
    port,
    dependencies: serviceDependencies(system.transport),
    auth,
  });
  for (const [file, content] of Object.entries(files)) await plan.create(`${dir}/${file}`, content);
  system.services[service.name] = { dir, port };
  const gateway = Object.values(system.services).find((s) => s.kind === 'gateway');
  await planResource(
    plan,
    { service: service.name, serviceDir: dir, auth, ...(gateway ? { gatewayDir: gateway.dir } : {}) },
    service.resource,
  );
}

/** Whether a service of `system` issues tokens (`"auth": true`): the others then require them. */
export function hasAuth(system: SystemFile): boolean {
  return Object.values(system.services).some((s) => s.auth === true);
}

/** outrig.json with the gateways last (the order `outrig dev` starts them in). */
export function systemFileText(system: SystemFile): string {
  const entries = Object.entries(system.services);
  const services = Object.fromEntries([
    ...entries.filter(([, s]) => s.kind !== 'gateway'),
    ...entries.filter(([, s]) => s.kind === 'gateway'),
  ]);
  return `${JSON.stringify({ ...system, services }, null, 2)}\n`;
}
