import path from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import type { SystemFile } from '../system/system-file.ts';
import type { NewAnswers } from './answers.ts';
import { FilePlan } from './file-plan.ts';
import { defaultResourceOf, resourceNames } from './names.ts';
import type { OutrigSource } from './outrig-packages.ts';
import { planService, systemFileText } from './plan-service.ts';
import { gatewayFiles } from './templates/gateway-files.ts';
import { systemFiles } from './templates/system-files.ts';

/** The gateway's port in a new system. */
export const GATEWAY_PORT = 10_000;

/**
 * Plans every file of a new system `name` in `root`: the root files, outrig.json, the gateway and
 * the first service with its first resource.
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
    dependencies: {
      '@outrig/core': pkg.version,
      '@outrig/discovery': pkg.version,
      '@outrig/gateway': pkg.version,
    },
  });
  for (const [file, content] of Object.entries(gateway))
    await plan.create(`services/gateway/${file}`, content);
  await planService(plan, system, { name: answers.service, scope: name, resource });
  await plan.create('outrig.json', systemFileText(system));
  return plan;
}

/** The system's name from its folder: `~/work/shop` → `shop`. */
export function systemNameOf(dir: string): string {
  return path.basename(path.resolve(dir));
}
