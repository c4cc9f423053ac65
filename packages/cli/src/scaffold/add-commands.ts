import path from 'node:path';
import type { Command } from 'commander';
import { CliErrors } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { loadSystem, SYSTEM_FILE } from '../system/system-file.ts';
import { FilePlan } from './file-plan.ts';
import { formatWritten } from './format-files.ts';
import { npmInstall } from './install.ts';
import { checkName, defaultResourceOf, resourceNames } from './names.ts';
import { planResource } from './plan-resource.ts';
import { planService, systemFileText } from './plan-service.ts';
import { reportFiles } from './report-files.ts';

interface AddOptions {
  plural?: string;
  resource?: string;
  dryRun?: boolean;
  json?: boolean;
  install?: boolean;
}

/** Adds `outrig add service <name>` and `outrig add resource <service> <name>` to `program`. */
export function addAddCommands(program: Command, io: CliIo): void {
  const add = program
    .command('add')
    .description('Add a service to the system, or a resource to a service')
    .addHelpText(
      'after',
      `
Examples:
  $ npx outrig add service orders-service
  $ npx outrig add resource orders-service order
  $ npx outrig add resource catalog-service category --plural categories`,
    );

  add
    .command('service')
    .description(
      'A new service: workspace, next free port, database, registration, gateway route, first resource',
    )
    .argument('<name>', 'service name (lower case, digits, dashes)')
    .option('--resource <name>', 'its first resource (default: the name without -service and a final s)')
    .option('--plural <plural>', 'plural of the resource, its URL segment (default <resource>s)')
    .option('--dry-run', 'print the files it would write, write nothing')
    .option('--json', 'print the result as JSON')
    .option('--no-install', 'do not run npm install (needed to add the workspace to package-lock.json)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ npx outrig add service orders-service\n  $ npx outrig add service billing --resource invoice',
    )
    .action(async (name: string, options: AddOptions) => {
      checkName('service', name);
      const system = await loadSystem(io.cwd);
      const file = path.join(system.root, SYSTEM_FILE);
      if (system.raw.services[name]) throw CliErrors.CLI_SERVICE_EXISTS({ params: { service: name, file } });
      const plan = new FilePlan(system.root);
      const raw = structuredClone(system.raw);
      const resource = resourceNames(options.resource ?? defaultResourceOf(name), options.plural);
      await planService(plan, raw, { name, scope: system.name, resource });
      plan.update(SYSTEM_FILE, systemFileText(raw));
      const install = options.install !== false && !options.dryRun;
      if (!options.dryRun) await plan.commit();
      if (install) await npmInstall(system.root, io, { json: options.json === true });
      if (!options.dryRun) await formatWritten(plan);
      reportFiles(io, plan, {
        dryRun: options.dryRun === true,
        json: options.json === true,
        extra: { service: name, port: raw.services[name]!.port, resource: resource.kebab },
      });
    });

  add
    .command('resource')
    .description(
      'A CRUD resource in a service: v1 routes under /api/v1/<plural>, schema, table, migration, events, tests',
    )
    .argument('<service>', 'the service (a name in outrig.json)')
    .argument('<name>', 'resource name, singular (lower case, digits, dashes)')
    .option('--plural <plural>', 'plural, the URL segment and table name (default <name>s)')
    .option('--dry-run', 'print the files it would write, write nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ npx outrig add resource orders-service order\n  $ npx outrig add resource catalog-service category --plural categories',
    )
    .action(async (service: string, name: string, options: AddOptions) => {
      const system = await loadSystem(io.cwd);
      const target = system.services.find((s) => s.name === service && s.kind !== 'gateway');
      if (!target) {
        throw CliErrors.CLI_SERVICE_UNKNOWN({
          params: {
            service,
            file: path.join(system.root, SYSTEM_FILE),
            services:
              system.services
                .filter((s) => s.kind !== 'gateway')
                .map((s) => s.name)
                .join(', ') || 'none',
          },
        });
      }
      const names = resourceNames(name, options.plural);
      const gateway = system.services.find((s) => s.kind === 'gateway');
      const plan = new FilePlan(system.root);
      await planResource(
        plan,
        {
          service,
          serviceDir: target.relativeDir,
          auth: system.services.some((s) => s.auth),
          ...(gateway ? { gatewayDir: gateway.relativeDir } : {}),
        },
        names,
      );
      if (!options.dryRun) {
        await plan.commit();
        await formatWritten(plan);
      }
      reportFiles(io, plan, {
        dryRun: options.dryRun === true,
        json: options.json === true,
        extra: { service, resource: names.kebab, path: `/api/v1/${names.plural}` },
      });
    });
}
