// `outrig contract update|check` on a one-service system whose service runs in this process:
// recorded, unchanged, compatible, broken, deprecated, missing and unreachable.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createService, type Service, Type } from '@outrig/core';
import { asyncApiDocument, defineEvent } from '@outrig/messaging';
import { freePort } from '@outrig/testing';
import { run } from 'outrig';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const Created = defineEvent({
  type: 'thing.created',
  aggregateType: 'thing',
  schema: Type.Object({ id: Type.String(), size: Type.Integer() }),
});

interface Shape {
  withSize?: boolean;
  extra?: boolean;
  deprecated?: boolean;
}

/** The service in one of its shapes, on `port`. */
function thingService(port: number, shape: Shape = {}): Service {
  const s = createService({ name: 'things', env: { SERVICE_PORT: String(port), LOG_LEVEL: 'silent' } });
  const Thing = Type.Object({
    id: Type.String(),
    ...(shape.withSize === false ? {} : { size: Type.Integer() }),
    ...(shape.extra ? { colour: Type.Optional(Type.String()) } : {}),
  });
  s.version(
    1,
    (api) => {
      api.get(
        '/things/:id',
        { schema: { params: Type.Object({ id: Type.String() }), response: { 200: Thing } } },
        async (r) => ({ id: r.params.id, size: 1 }) as never,
      );
    },
    shape.deprecated ? { deprecated: '2026-01-01' } : {},
  );
  s.describeEvents(() => asyncApiDocument('things', { publishes: [Created] }));
  return s;
}

describe('outrig contract', () => {
  let dir: string;
  let port: number;
  let running: Service | undefined;
  const start = async (shape?: Shape) => {
    await running?.stop();
    running = thingService(port, shape);
    await running.start({ signals: false });
  };
  const outrig = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await run(['contract', ...args, '--system', dir], {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
    });
    return { code, stdout, stderr };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outrig-contract-'));
    port = await freePort();
    const system = { name: 'sys', services: { things: { dir: 'services/things', port } } };
    await writeFile(join(dir, 'outrig.json'), JSON.stringify(system));
  });
  afterAll(async () => {
    await running?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('without a running service: CLI_CONTRACT_UNREACHABLE naming the URL', async () => {
    const { code, stderr } = await outrig('check');
    expect(code).toBe(1);
    expect(stderr).toContain('CLI_CONTRACT_UNREACHABLE');
    expect(stderr).toContain(`http://127.0.0.1:${port}/openapi.json`);
  });

  it('without a recorded contract: CLI_CONTRACT_NO_SNAPSHOT', async () => {
    await start();
    const { code, stderr } = await outrig('check');
    expect(code).toBe(1);
    expect(stderr).toContain('CLI_CONTRACT_NO_SNAPSHOT');
  });

  it('update records both documents, sorted; check then passes', async () => {
    const updated = await outrig('update');
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('openapi: recorded in contracts/things.openapi.json');
    const recorded = JSON.parse(await readFile(join(dir, 'contracts', 'things.asyncapi.json'), 'utf8'));
    expect(Object.keys(recorded.operations)).toEqual(['send.thing.created']);
    const checked = await outrig('check');
    expect(checked).toMatchObject({ code: 0, stderr: '' });
    expect(checked.stdout).toContain('openapi: as recorded');
  });

  it('an added optional field is compatible: reported, passes', async () => {
    await start({ extra: true });
    const { code, stdout } = await outrig('check');
    expect(code).toBe(0);
    expect(stdout).toContain('openapi: changed, nothing breaks a client');
  });

  it('a removed field fails, naming the route and the field', async () => {
    await start({ withSize: false });
    const { code, stdout, stderr } = await outrig('check');
    expect(code).toBe(1);
    expect(stdout).toContain('✗ GET /api/v1/things/{id}: response 200: removed field data.size');
    expect(stderr).toMatch(/CLI_CONTRACT_BROKEN: 1 breaking change/);
    const json = JSON.parse((await outrig('check', '--json')).stdout);
    expect(json.services[0].documents[0]).toMatchObject({ kind: 'openapi', status: 'breaking' });
  });

  it('a URL that answers something other than a JSON document: CLI_CONTRACT_UNREACHABLE, not a stack', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>not a document</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { code, stderr } = await outrig('check', '--url', `things=${url}`);
      expect(code).toBe(1);
      expect(stderr).toContain('CLI_CONTRACT_UNREACHABLE');
      expect(stderr).toContain('not a JSON document');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('the same change to a deprecated version passes', async () => {
    await start({ withSize: false, deprecated: true });
    expect((await outrig('check')).code).toBe(0);
  });
});
