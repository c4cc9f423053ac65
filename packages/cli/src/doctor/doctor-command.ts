import { isOutrigError } from '@outrig/core/errors';
import type { Command } from 'commander';
import { type SystemOptions, systemOf, systemOption } from '../command-helpers.ts';
import { CliErrors } from '../errors.ts';
import type { CliIo } from '../io.ts';
import type { System } from '../system/system-file.ts';
import { checkConfig, checkNode, checkPorts, checkServers, type Finding } from './doctor-checks.ts';

/**
 * The Node version the CLI and the kit need when the system's package.json names none (Node's
 * type stripping without a flag, as the published manifests' `engines` say).
 */
const MIN_NODE = '>=22.18';

/** Adds `outrig doctor` to `program`. */
export function addDoctorCommand(program: Command, io: CliIo): void {
  systemOption(program.command('doctor'))
    .description("Check what the system needs: Node, free ports, each service's config, reachable servers")
    .option('--json', 'print { ok, findings: [{ check, status, message, fix?, service? }] }')
    .addHelpText(
      'after',
      `
Checks, each with the fix when something is wrong:
  node     the Node version against the system's package.json engines.node
  port     each service's port (and the embedded PostgreSQL's) is free, or held by the system
           itself; otherwise who holds it (pid and command, where the OS tells)
  config   each service's configuration, validated as the kit does at start (core variables
           plus the \`config\` export of its src/config.ts), against the environment
           \`outrig dev\` would give it — without starting it
  server   every server its configuration names (DATABASE_URL, BUS_URL, REGISTRY_URL,
           REDIS_URL, JWT_JWKS_URL, <SERVICE>_DATABASE_URL) answers a TCP connection

Exit 0 when nothing is wrong (warnings allowed), 1 otherwise.

Examples:
  $ outrig doctor
  $ outrig doctor --json | jq '.findings[] | select(.status == "error")'`,
    )
    .action(async (options: SystemOptions & { json?: boolean }) => {
      const findings: Finding[] = [];
      let system: System | undefined;
      try {
        system = await systemOf(options, io);
      } catch (err) {
        if (!isOutrigError(err) || !err.code.startsWith('CLI_SYSTEM_')) throw err;
        findings.push({
          check: 'system',
          status: 'error',
          message: err.message,
          fix:
            err.code === 'CLI_SYSTEM_NOT_FOUND'
              ? 'run it inside a system made by `outrig new` (or pass --system <dir>)'
              : 'fix the field the message names',
        });
      }
      findings.unshift(await checkNode(system?.root, MIN_NODE));
      if (system !== undefined) {
        findings.push(await systemFinding(system));
        findings.push(...(await checkPorts(system, io.env)));
        for (const service of system.services) findings.push(...(await checkConfig(service, io.env)));
        findings.push(...(await checkServers(system, io.env)));
      }
      const errors = findings.filter((f) => f.status === 'error').length;
      if (options.json) io.stdout(`${JSON.stringify({ ok: errors === 0, findings })}\n`);
      else io.stdout(text(findings));
      if (errors > 0) {
        throw CliErrors.CLI_DOCTOR_FOUND_PROBLEMS({
          params: { count: errors === 1 ? '1 problem' : `${errors} problems` },
        });
      }
    });
}

async function systemFinding(system: System): Promise<Finding> {
  const n = system.services.length;
  return {
    check: 'system',
    status: 'ok',
    message: `${system.name} in ${system.root}: ${n} service${n === 1 ? '' : 's'}, transport ${system.transport}, registry ${system.registry}`,
  };
}

function text(findings: readonly Finding[]): string {
  return findings
    .map((f) => `${f.status.padEnd(7)}${f.message}\n${f.fix ? `       fix: ${f.fix}\n` : ''}`)
    .join('');
}
