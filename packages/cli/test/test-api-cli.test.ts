import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { createService, type Service, Type } from '@outrig/core';
import { freePort } from '@outrig/testing';
import { run } from 'outrig';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'src', 'bin.ts');

/** A service whose POST answers 500 for numbers past an int4 column, as the shop's did. */
function service(): Service {
  const s = createService({ name: 'cli-fuzz', env: { SERVICE_PORT: '0', LOG_LEVEL: 'silent' } });
  s.version(1, (api) => {
    api.post(
      '/things',
      {
        schema: {
          body: Type.Object({ n: Type.Integer({ minimum: 0 }) }),
          response: { 201: Type.Object({ n: Type.Integer() }) },
        },
      },
      async (request, reply) => {
        if (request.body.n > 2 ** 31 - 1) throw new RangeError('integer out of range');
        reply.code(201);
        return { n: request.body.n };
      },
    );
    api.get(
      '/things',
      { schema: { response: { 200: Type.Array(Type.Object({ n: Type.Integer() })) } } },
      async () => [],
    );
  });
  return s;
}

async function outrig(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

describe('outrig test api', () => {
  const svc = service();
  let url: string;
  beforeAll(async () => {
    url = await svc.start({ signals: false });
  });
  afterAll(() => svc.stop());

  it('prints each operation, the minimal failing request as a curl line, and exits 1', async () => {
    const { code, stdout, stderr } = await outrig(['test', 'api', url, '--seed', '3', '--runs', '100']);
    expect(code).toBe(1);
    expect(stdout).toContain(`outrig test api ${url} — seed 3, 100 requests per operation`);
    expect(stdout).toMatch(/✓ GET \/api\/v1\/things +100 requests/);
    expect(stdout).toMatch(/✗ POST \/api\/v1\/things/);
    expect(stdout).toContain('server error 500 INTERNAL_ERROR');
    expect(stdout).toMatch(
      /curl -i --path-as-is -g -X POST '.*\/api\/v1\/things' -H 'content-type: application\/json' --data-binary '\{"n":\d+\}'/,
    );
    expect(stdout).toMatch(/operations, \d+ requests, 1 failure \(seed 3: rerun with --seed 3\)/);
    expect(stderr).toMatch(/^error: CLI_API_FUZZ_FAILED: The API broke 1 promise\(s\)/);
  });

  it('--json prints the report; --operation narrows it; a clean run exits 0', async () => {
    const { code, stdout } = await outrig([
      'test',
      'api',
      url,
      '--seed',
      '3',
      '--runs',
      '20',
      '--operation',
      'GET /api/v1/things',
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ seed: 3, runs: 20, ok: true, failures: [] });
    expect(report.operations.map((o: { operation: string }) => o.operation)).toEqual(['GET /api/v1/things']);
  });

  it('an address where nothing answers: one coded line, exit 1; a bad URL: usage error, exit 2', async () => {
    const down = await outrig(['test', 'api', `http://127.0.0.1:${await freePort()}`, '--runs', '1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: CLI_COMMAND_FAILED: test api failed: ECONNREFUSED/);
    const usage = await outrig(['test', 'api', 'localhost:8004']);
    expect(usage.code).toBe(2);
  });

  it('the real bin shows help with examples', async () => {
    const help = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [BIN, 'test', 'api', '--help'], (err, out) =>
        err ? reject(err) : resolve(out),
      ),
    );
    expect(help).toContain('outrig test api http://127.0.0.1:10000 --token "$ADMIN"');
    expect(help).toContain('--seed <n>');
  });
});
