import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import {
  asCommandError,
  commaList,
  type SystemOptions,
  systemOf,
  systemOption,
  usageError,
} from '../command-helpers.ts';
import { servicePort } from '../dev/dev-env.ts';
import { CliErrors } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { SYSTEM_FILE, type System, type SystemService } from '../system/system-file.ts';
import { asyncApiBreakingChanges, type BreakingChange, openApiBreakingChanges } from './contract-diff.ts';

interface ContractOptions extends SystemOptions {
  only?: string[];
  url?: string[];
  json?: boolean;
}

/** The two documents of a service's contract, and the file each is recorded in. */
const KINDS = [
  { kind: 'openapi', path: '/openapi.json', diff: openApiBreakingChanges },
  { kind: 'asyncapi', path: '/asyncapi.json', diff: asyncApiBreakingChanges },
] as const;

/** The folder of the recorded contracts: `<system>/contracts`. */
export const CONTRACTS_DIR = 'contracts';

/** Adds `outrig contract check|update` to `program`. */
export function addContractCommands(program: Command, io: CliIo): void {
  const contract = program
    .command('contract')
    .description("Compare each service's OpenAPI and AsyncAPI with the recorded contract (contracts/)");
  const common = (command: Command) =>
    systemOption(command)
      .option('--only <services>', 'only these services (comma-separated)', commaList)
      .option(
        '--url <service=url...>',
        'where a service answers (default http://127.0.0.1:<its port>, as outrig dev runs it)',
      )
      .option('--json', 'print the result as JSON');
  common(
    contract
      .command('check')
      .description(
        'Fail on a breaking change to a version that is not deprecated: a removed route, event or field, a narrowed type, a new required request field',
      ),
  )
    .addHelpText(
      'after',
      `
Reads /openapi.json and /asyncapi.json from every service of the running system (start it with
outrig dev) and compares them with contracts/<service>.openapi.json and .asyncapi.json. A change
that breaks no client is reported and passes (record it with outrig contract update). Operations
of a deprecated version may change freely: deprecation told their clients.

Examples:
  $ outrig contract check
  $ outrig contract check --only inventory-service --url inventory-service=http://127.0.0.1:9004`,
    )
    .action(async (options: ContractOptions, command: Command) => {
      await run(command, options, io, 'check');
    });
  common(contract.command('update').description('Record the current documents as the contract')).action(
    async (options: ContractOptions, command: Command) => {
      await run(command, options, io, 'update');
    },
  );
}

async function run(command: Command, options: ContractOptions, io: CliIo, mode: 'check' | 'update') {
  const urls = new Map<string, string>();
  for (const pair of options.url ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || !/^https?:\/\//.test(pair.slice(eq + 1))) {
      usageError(command, `--url takes <service>=<http(s) url>, got ${pair}`);
    }
    urls.set(pair.slice(0, eq), pair.slice(eq + 1).replace(/\/$/, ''));
  }
  let system: System;
  try {
    system = await systemOf(options, io);
  } catch (err) {
    throw asCommandError(command, err);
  }
  const services = system.services.filter(
    (s) => s.kind !== 'gateway' && (options.only === undefined || options.only.includes(s.name)),
  );
  for (const name of [...(options.only ?? []), ...urls.keys()]) {
    if (!system.services.some((s) => s.name === name)) {
      throw CliErrors.CLI_SERVICE_UNKNOWN({
        params: {
          service: name,
          file: path.join(system.root, SYSTEM_FILE),
          services: system.services.map((s) => s.name).join(', '),
        },
      });
    }
  }
  const dir = path.join(system.root, CONTRACTS_DIR);
  const results: ServiceResult[] = [];
  for (const service of services) {
    const base = urls.get(service.name) ?? `http://127.0.0.1:${servicePort(service, io.env)}`;
    results.push(await compareService(service, base, dir, mode));
  }
  const broken = results.flatMap((r) => r.documents.flatMap((d) => d.breaking));
  const missing = results.flatMap((r) => r.documents.filter((d) => d.status === 'no snapshot'));
  if (options.json) io.stdout(`${JSON.stringify({ mode, services: results }, null, 2)}\n`);
  else for (const r of results) io.stdout(describe(r, dir));
  if (mode === 'check' && missing.length > 0) {
    throw CliErrors.CLI_CONTRACT_NO_SNAPSHOT({
      params: { files: missing.map((d) => d.file).join(', ') },
    });
  }
  if (mode === 'check' && broken.length > 0) {
    throw CliErrors.CLI_CONTRACT_BROKEN({ params: { count: broken.length } });
  }
}

interface DocumentResult {
  kind: 'openapi' | 'asyncapi';
  file: string;
  status: 'unchanged' | 'compatible' | 'breaking' | 'no snapshot' | 'recorded';
  breaking: BreakingChange[];
}

interface ServiceResult {
  service: string;
  url: string;
  documents: DocumentResult[];
}

async function compareService(
  service: SystemService,
  base: string,
  dir: string,
  mode: 'check' | 'update',
): Promise<ServiceResult> {
  const documents: DocumentResult[] = [];
  for (const { kind, path: route, diff } of KINDS) {
    const current = await fetchDocument(service.name, `${base}${route}`);
    const file = path.join(dir, `${service.name}.${kind}.json`);
    const text = `${JSON.stringify(sorted(current), null, 2)}\n`;
    const recorded = await readFile(file, 'utf8').catch(() => undefined);
    if (mode === 'update') {
      if (recorded !== text) {
        await mkdir(dir, { recursive: true });
        await writeFile(file, text);
      }
      documents.push({ kind, file, status: recorded === text ? 'unchanged' : 'recorded', breaking: [] });
      continue;
    }
    if (recorded === undefined) {
      documents.push({ kind, file, status: 'no snapshot', breaking: [] });
      continue;
    }
    const breaking = diff(JSON.parse(recorded) as Record<string, unknown>, current);
    const status = breaking.length > 0 ? 'breaking' : recorded === text ? 'unchanged' : 'compatible';
    documents.push({ kind, file, status, breaking });
  }
  return { service: service.name, url: base, documents };
}

async function fetchDocument(service: string, url: string): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000), headers: { accept: 'application/json' } });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw CliErrors.CLI_CONTRACT_UNREACHABLE({ params: { service, url, reason: cause } });
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw CliErrors.CLI_CONTRACT_UNREACHABLE({
      params: { service, url, reason: `it answered ${res.status}` },
    });
  }
  const document = (await res.json().catch(() => undefined)) as unknown;
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw CliErrors.CLI_CONTRACT_UNREACHABLE({
      params: { service, url, reason: 'it answered 200 with something that is not a JSON document' },
    });
  }
  return document as Record<string, unknown>;
}

function describe(result: ServiceResult, dir: string): string {
  const lines = [`${result.service} (${result.url})`];
  for (const d of result.documents) {
    const file = path.relative(path.dirname(dir), d.file);
    const what = {
      unchanged: `${d.kind}: as recorded`,
      compatible: `${d.kind}: changed, nothing breaks a client (record it: outrig contract update)`,
      breaking: `${d.kind}: ${d.breaking.length} breaking change(s) against ${file}`,
      'no snapshot': `${d.kind}: no recorded contract (${file}): run outrig contract update`,
      recorded: `${d.kind}: recorded in ${file}`,
    }[d.status];
    lines.push(`  ${what}`);
    for (const b of d.breaking) lines.push(`    ✗ ${b.where}: ${b.change}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Keys sorted at every level: a recorded contract diffs cleanly in review. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, sorted(v)]),
  );
}
