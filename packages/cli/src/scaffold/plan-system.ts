import path from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import type { SystemFile } from '../system/system-file.ts';
import type { NewAnswers } from './answers.ts';
import { FilePlan } from './file-plan.ts';
import { defaultResourceOf, resourceNames } from './names.ts';
import type { OutrigSource } from './outrig-packages.ts';
import { FIRST_SERVICE_PORT, planService, systemFileText } from './plan-service.ts';
import { authFlowTestFile, authServiceFiles, devAdmin } from './templates/auth-files.ts';
import { gatewayFiles } from './templates/gateway-files.ts';
import { serviceSymbols } from './templates/service-files.ts';
import { systemFiles } from './templates/system-files.ts';

/** The gateway's port in a new system. */
export const GATEWAY_PORT = 10_000;

/**
 * Plans every file of a new system `name` in `root`: the root files, outrig.json, the gateway,
 * with `answers.auth` the auth service (the token issuer; every other service then requires
 * its tokens), and the first service with its first resource.
 */
export async function planSystem(
  root: string,
  name: string,
  answers: NewAnswers,
  source: OutrigSource,
): Promise<FilePlan> {
  const plan = new FilePlan(root);
  const resource = resourceNames(defaultResourceOf(answers.service));
  for (const [file, content] of Object.entries(
    systemFiles({
      name,
      source,
      firstService: answers.service,
      firstPlural: resource.plural,
      gatewayPort: GATEWAY_PORT,
      auth: answers.auth,
    }),
  )) {
    await plan.create(file, content);
  }
  const system: SystemFile = {
    name,
    transport: answers.transport,
    registry: answers.registry,
    services: { gateway: { dir: 'services/gateway', port: GATEWAY_PORT, kind: 'gateway', database: false } },
    template: { version: pkg.version, answers: { ...answers } },
  };
  const gateway = gatewayFiles({
    packageName: `@${name}/gateway`,
    port: GATEWAY_PORT,
    auth: answers.auth,
    dependencies: {
      '@outrig/core': pkg.version,
      '@outrig/discovery': pkg.version,
      '@outrig/gateway': pkg.version,
    },
  });
  for (const [file, content] of Object.entries(gateway))
    await plan.create(`services/gateway/${file}`, content);
  if (answers.auth) await planAuthService(plan, system, name);
  await planService(plan, system, { name: answers.service, scope: name, resource });
  if (answers.auth) {
    await plan.create(
      'services/auth-service/test/through-gateway.test.ts',
      authFlowTestFile({
        system: name,
        service: {
          name: answers.service,
          factory: serviceSymbols(answers.service).factory,
          plural: resource.plural,
        },
      }),
    );
  }
  await plan.create('outrig.json', systemFileText(system));
  return plan;
}

/** The name of the auth service `outrig new --auth` adds. */
export const AUTH_SERVICE = 'auth-service';

/** services/auth-service (@outrig/auth, a few lines) and its outrig.json entry: the token issuer. */
async function planAuthService(plan: FilePlan, system: SystemFile, name: string): Promise<void> {
  const dir = `services/${AUTH_SERVICE}`;
  const port = FIRST_SERVICE_PORT;
  const files = authServiceFiles({
    system: name,
    packageName: `@${name}/${AUTH_SERVICE}`,
    port,
    dependencies: {
      '@outrig/auth': pkg.version,
      '@outrig/core': pkg.version,
    },
  });
  for (const [file, content] of Object.entries(files)) await plan.create(`${dir}/${file}`, content);
  system.services[AUTH_SERVICE] = { dir, port, auth: true, embeddedEnv: devAdmin(name) };
}

/** The system's name from its folder: `~/work/shop` → `shop`. */
export function systemNameOf(dir: string): string {
  return path.basename(path.resolve(dir));
}
