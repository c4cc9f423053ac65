import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { CliErrors } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { type GivenAnswers, resolveAnswers } from './answers.ts';
import { formatWritten } from './format-files.ts';
import { npmInstall } from './install.ts';
import { checkName } from './names.ts';
import { linkSource, type OutrigSource, registrySource, tarballSource } from './outrig-packages.ts';
import { planSystem, systemNameOf } from './plan-system.ts';
import { reportFiles } from './report-files.ts';

interface NewOptions extends GivenAnswers {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  install: boolean;
  packages?: string;
  linkPackages?: string;
}

/** Adds `outrig new <dir>` to `program`. */
export function addNewCommand(program: Command, io: CliIo): void {
  program
    .command('new')
    .description('Create a new system: gateway, a first service with a first resource, tests, outrig.json')
    .argument('<dir>', 'folder of the new system (must not exist, or be empty); its name is the system name')
    .option('--service <name>', 'name of the first service (default notes-service)')
    .addOption(
      new Option('--transport <transport>', 'event transport (default postgres)').choices([
        'postgres',
        'nats',
      ]),
    )
    .addOption(
      new Option('--registry <registry>', 'service registry (default local)').choices([
        'local',
        'etcd',
        'consul',
        'dns',
      ]),
    )
    .option('--auth', 'add an auth service (@outrig/auth): every other route then needs its token')
    .option('--no-auth', 'no auth service (the default)')
    .option('-y, --yes', 'take the default for every answer not given as a flag')
    .option('--dry-run', 'print the files it would write, write nothing')
    .option('--json', 'print the result as JSON (no prompts, no progress)')
    .option('--no-install', 'do not run npm install')
    .option(
      '--packages <dir>',
      'install Outrig from the tarballs in <dir> (npm run release:pack) instead of the registry',
    )
    .addOption(
      new Option('--link-packages <repo>', 'link Outrig from the packages/ of a checkout').hideHelp(),
    )
    .addHelpText(
      'after',
      `
Without a flag for every answer, outrig new asks on a terminal; elsewhere (CI, pipes) it stops
with an error naming the missing flag, or takes the defaults with --yes.

Examples:
  $ npx outrig new shop
  $ npx outrig new shop --yes --service orders-service --transport nats
  $ npx outrig new shop --yes --auth
  $ npx outrig new shop --yes --dry-run --json`,
    )
    .action(async (dir: string, options: NewOptions) => {
      const root = path.resolve(io.cwd, dir);
      const name = checkName('system', systemNameOf(root));
      await refuseNonEmpty(root);
      const answers = await resolveAnswers(
        {
          service: options.service,
          transport: options.transport,
          registry: options.registry,
          auth: options.auth,
        },
        { yes: options.yes === true, io: options.json ? { ...io, terminal: false } : io },
      );
      const source = await outrigSource(io, options);
      const plan = await planSystem(root, name, answers, source);
      const json = options.json === true;
      const install = options.install && !options.dryRun;
      if (!options.dryRun) await plan.commit();
      if (install) {
        await npmInstall(root, io, { json });
        await formatWritten(plan);
      }
      reportFiles(io, plan, {
        dryRun: options.dryRun === true,
        json,
        extra: { name, answers, installed: install },
      });
      if (!json && !options.dryRun) {
        const cd = path.relative(io.cwd, root) || '.';
        io.stdout(
          `\nNext:\n  cd ${cd}\n${install ? '' : '  npm install\n'}  npm start     # every service, through the gateway on :10000\n  npm test\n`,
        );
      }
    });
}

async function refuseNonEmpty(root: string): Promise<void> {
  const entries = await readdir(root).catch(() => []);
  if (entries.length > 0) throw CliErrors.CLI_DIR_NOT_EMPTY({ params: { dir: root } });
}

function outrigSource(io: CliIo, options: NewOptions): Promise<OutrigSource> {
  if (options.packages !== undefined) return tarballSource(path.resolve(io.cwd, options.packages));
  if (options.linkPackages !== undefined) return linkSource(path.resolve(io.cwd, options.linkPackages));
  return Promise.resolve(registrySource());
}
