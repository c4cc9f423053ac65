import { type FuzzReport, fuzzApi, type OperationResult } from '@outrig/testing/api-fuzz';
import { type Command, InvalidArgumentError } from 'commander';
import { CliErrors } from './errors.ts';
import type { CliIo } from './io.ts';

interface TestApiOptions {
  token?: string;
  seed?: number;
  runs: number;
  json?: boolean;
  openapi: string;
  operation?: string[];
}

/** Adds `outrig test api <base-url>` to `program`. */
export function addTestCommands(program: Command, io: CliIo): void {
  const test = program.command('test').description('Test a running system from the outside');
  test
    .command('api')
    .argument('<base-url>', 'where the API answers: a service or the gateway, e.g. http://127.0.0.1:10000')
    .description(
      'Fuzz every operation of the OpenAPI document served at <base-url>: valid and mutated requests; no 5xx, errors in the envelope, statuses documented, 2xx bodies valid, forged tokens refused',
    )
    .option(
      '--token <jwt>',
      'a bearer token: requests go with it, without it, and with forged variants of it',
    )
    .option(
      '--seed <n>',
      'seed of the generator (the same seed sends the same requests); default random',
      integer,
    )
    .option('--runs <n>', 'requests per operation, before shrinking a failure', integer, 100)
    .option('--openapi <path>', 'path of the OpenAPI document under <base-url>', '/openapi.json')
    .option('--operation <text...>', "only operations whose 'METHOD /path' contains one of these")
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
For each operation it sends --runs requests generated from the operation's schemas with
fast-check: valid ones, and mutations — wrong types, out-of-range and boundary numbers,
missing and extra fields, huge and odd strings, malformed percent-encodings, content types
and JSON, bad and forged tokens. It checks every answer: no 5xx, every error in the
{ "error": { code, message } } envelope, every status documented for the operation, every
2xx body valid against its schema, no 2xx to a forged token. A failure is shrunk to a minimal
request and printed as a curl line ($TOKEN stands for --token). Exit code 1 on any failure.

Examples:
  $ outrig test api http://127.0.0.1:10000
  $ outrig test api http://127.0.0.1:8004 --runs 300 --seed 42
  $ outrig test api http://127.0.0.1:10000 --token "$ADMIN" --operation 'POST /api/v2/products'
  $ outrig test api http://127.0.0.1:10000 --json > fuzz-report.json`,
    )
    .action(async (baseUrl: string, options: TestApiOptions, command: Command) => {
      if (!/^https?:\/\//.test(baseUrl)) {
        command.error(`error: <base-url> must be an http:// or https:// URL, got ${baseUrl}`, {
          exitCode: 2,
          code: 'outrig.usage',
        });
      }
      const seed = options.seed ?? (Math.random() * 2 ** 31) | 0;
      if (!options.json) {
        io.stdout(`outrig test api ${baseUrl} — seed ${seed}, ${options.runs} requests per operation\n`);
      }
      let report: FuzzReport;
      try {
        report = await fuzzApi({
          baseUrl,
          token: options.token,
          seed,
          runs: options.runs,
          openapiPath: options.openapi,
          include: options.operation ? (op) => options.operation!.some((t) => op.id.includes(t)) : undefined,
          onOperation: options.json ? undefined : (result) => io.stdout(operationLine(result)),
        });
      } catch (err) {
        const e = err as { code?: string; message?: string };
        throw CliErrors.CLI_COMMAND_FAILED({
          params: {
            command: 'test api',
            reason: [e.code, e.message].filter(Boolean).join(': ') || String(err),
          },
          cause: err,
        });
      }
      io.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
      if (report.operations.length === 0) {
        throw CliErrors.CLI_API_NO_OPERATIONS({ params: { url: `${baseUrl}${options.openapi}` } });
      }
      if (!report.ok)
        throw CliErrors.CLI_API_FUZZ_FAILED({ params: { count: report.failures.length, seed } });
    });
}

function operationLine(result: OperationResult): string {
  const mark = result.failure ? '✗' : '✓';
  const line = `  ${mark} ${result.operation.padEnd(44)} ${String(result.requests).padStart(5)} requests\n`;
  if (!result.failure) return line;
  const f = result.failure;
  const mutations = f.request.mutations.length > 0 ? f.request.mutations.join('; ') : 'a valid request';
  return `${line}      ${f.problem}\n      minimal request: ${mutations}\n      ${f.curl}\n`;
}

function summary(report: FuzzReport): string {
  const failures = report.failures.length;
  return `${report.operations.length} operations, ${report.requests} requests, ${failures === 1 ? '1 failure' : `${failures} failures`} (seed ${report.seed}${failures > 0 ? `: rerun with --seed ${report.seed}` : ''})\n`;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}
