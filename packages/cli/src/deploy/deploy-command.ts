import path from 'node:path';
import type { Command } from 'commander';
import { type SystemOptions, systemOf, systemOption } from '../command-helpers.ts';
import { CliErrors } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { certNames, makeDevCerts } from './deploy-certs.ts';
import { buildDeployModel } from './deploy-model.ts';
import { parseTargets, renderDeploy, TARGET_DIRS } from './render-deploy.ts';
import { type RenderedFile, staleFiles, writeRendered } from './write-rendered.ts';

interface RenderOptions extends SystemOptions {
  target: string;
  out: string;
  namespace?: string;
  dryRun?: boolean;
  check?: boolean;
  json?: boolean;
}

interface CertsOptions extends SystemOptions {
  out: string;
  days: string;
  force?: boolean;
  json?: boolean;
}

/** Adds `outrig deploy render` and `outrig deploy certs` to `program`. */
export function addDeployCommands(program: Command, io: CliIo): void {
  const deploy = program
    .command('deploy')
    .description(
      'Deployment files from outrig.json: Dockerfiles, compose, Kubernetes, HAProxy, Envoy; dev certificates',
    );
  systemOption(deploy.command('render'))
    .description('Render the deployment files of the system into --out (only files that changed are written)')
    .option('--target <targets>', 'dockerfile, compose, k8s, haproxy, envoy (comma-separated), or all', 'all')
    .option('--out <dir>', 'output folder, relative to the system folder', 'deploy')
    .option('--namespace <name>', 'Kubernetes namespace (default: the system name)')
    .option('--dry-run', 'report what would be written, write nothing')
    .option(
      '--check',
      'like --dry-run, and exit 1 (CLI_DEPLOY_OUT_OF_DATE) if any file would change or is stale (for CI)',
    )
    .option('--json', 'print { out, dryRun, files: [{ file, status }], skippedRoutes, warnings }')
    .addHelpText(
      'after',
      `
Files (under --out):
  docker/<service>.Dockerfile   build with the npm workspace root as context
  compose/                      compose.yaml, .env.example, postgres init, prometheus, grafana
  k8s/base/                     a Kustomize base: per service Deployment, Service, HPA, PDB, …
  haproxy/haproxy.cfg           TLS edge + mTLS to services, routes from the gateway's table
  envoy/envoy.yaml              the same as an Envoy v3 bootstrap

Each file is written only when its content changed: status created, updated or unchanged.
A file in those folders that the render no longer produces is reported stale, never deleted
(.env and certs/ excepted).
See docs/guides/deploying.md for what each file is and how it was validated.

Examples:
  $ outrig deploy render
  $ outrig deploy render --target k8s,haproxy --dry-run
  $ outrig deploy render --check            # in CI: the committed files are current
  $ outrig deploy render --json | jq '.files[] | select(.status != "unchanged")'`,
    )
    .action(async (options: RenderOptions) => {
      const system = await systemOf(options, io);
      const targets = parseTargets(options.target);
      const model = await buildDeployModel(system, options.namespace ? { namespace: options.namespace } : {});
      const outDir = path.resolve(system.root, options.out);
      const files = await renderDeploy(model, targets, outDir);
      const dryRun = Boolean(options.dryRun || options.check);
      const written = [
        ...(await writeRendered(outDir, files, dryRun)),
        ...(await staleFiles(
          outDir,
          targets.map((t) => TARGET_DIRS[t]),
          files,
        )),
      ];
      const skippedRoutes = model.skippedRoutes.map((r) => ({ path: r.path, service: r.service }));
      if (options.json) {
        io.stdout(
          `${JSON.stringify({ out: outDir, dryRun, files: written, skippedRoutes, warnings: model.warnings })}\n`,
        );
      } else {
        report(written, options.out, outDir, dryRun);
        for (const r of skippedRoutes) {
          io.stdout(
            `note: route ${r.path} → ${r.service} not rendered: ${r.service} is not in outrig.json\n`,
          );
        }
      }
      for (const w of model.warnings) io.stderr(`warning: ${w}\n`);
      const outOfDate = written.filter((f) => f.status !== 'unchanged').length;
      if (options.check && outOfDate > 0) {
        throw CliErrors.CLI_DEPLOY_OUT_OF_DATE({ params: { count: String(outOfDate), out: outDir } });
      }
    });
  function report(written: RenderedFile[], out: string, outDir: string, dryRun: boolean): void {
    const changed = written.filter((f) => f.status === 'created' || f.status === 'updated');
    for (const f of changed)
      io.stdout(`${dryRun ? 'would be ' : ''}${f.status.padEnd(9)} ${path.join(out, f.file)}\n`);
    for (const f of written.filter((x) => x.status === 'stale')) {
      io.stdout(`stale     ${path.join(out, f.file)} (no longer rendered: delete it if nothing uses it)\n`);
    }
    const unchanged = written.filter((f) => f.status === 'unchanged').length;
    io.stdout(
      `${changed.length} file(s) ${dryRun ? 'would change' : 'written'}, ${unchanged} unchanged, in ${outDir}\n`,
    );
  }
  systemOption(deploy.command('certs'))
    .description('Make a development CA and a certificate per service and proxy (openssl) — development only')
    .option('--out <dir>', 'output folder, relative to the system folder', 'deploy/certs')
    .option('--days <n>', 'validity of new certificates in days', '30')
    .option('--force', 'make them again (a new CA too) even if they exist')
    .option('--json', 'print { out, files: [{ file, status }] }')
    .addHelpText(
      'after',
      `
Writes ca.pem/ca.key and, for edge, haproxy-client, envoy-client and every service,
<name>.crt, <name>.key and <name>.pem (both, for HAProxy). Existing files are kept unless
--force. The CA key lies beside the certificates: never use these outside development, and
keep the folder out of version control.

Examples:
  $ outrig deploy certs
  $ outrig deploy certs --out /tmp/certs --days 7 --force`,
    )
    .action(async (options: CertsOptions) => {
      const system = await systemOf(options, io);
      const dir = path.resolve(system.root, options.out);
      const files = await makeDevCerts({
        dir,
        caName: `${system.name} development CA`,
        names: certNames(system.services.map((s) => s.name)),
        days: Number(options.days),
        force: Boolean(options.force),
      });
      if (options.json) {
        io.stdout(`${JSON.stringify({ out: dir, files })}\n`);
        return;
      }
      for (const f of files.filter((x) => x.status === 'written'))
        io.stdout(`written  ${path.join(options.out, f.file)}\n`);
      io.stdout(
        `${files.filter((f) => f.status === 'written').length} file(s) written, ${files.filter((f) => f.status === 'kept').length} kept, in ${dir} (development only)\n`,
      );
    });
}
