import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createService, type Service } from '@outrig/core';
import { compileRoutes } from '@outrig/gateway/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCerts } from '../src/deploy/deploy-certs.ts';
import type { DeployModel, DeployService } from '../src/deploy/deploy-model.ts';
import { renderHaproxy } from '../src/deploy/render-haproxy.ts';

// The rendered HAProxy configuration in front of real services built with the kit, with
// certificates from `outrig deploy certs`: TLS at the edge, mTLS to the services (`verify
// required` both ways), health checks on /ready, layer-7 retries only for idempotent requests.

const exec = promisify(execFile);
const HAPROXY = process.env.HAPROXY ?? 'haproxy';

let dir: string;
let certs: string;
let rogue: string;
let haproxy: ChildProcess | undefined;
let haproxyLog = '';
const services: Service[] = [];
const ports: Record<string, number> = {};
let available = true;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Answer {
  status: number;
  body: string;
}

async function call(
  port: number,
  pathname: string,
  options: { method?: string; client?: { dir: string; name: string } } = {},
): Promise<Answer> {
  const ca = await readFile(path.join(certs, 'ca.pem'));
  const client = options.client
    ? {
        cert: await readFile(path.join(options.client.dir, `${options.client.name}.crt`)),
        key: await readFile(path.join(options.client.dir, `${options.client.name}.key`)),
      }
    : {};
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method: options.method ?? 'GET',
        ca,
        agent: false,
        ...client,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A kit service on TLS requiring client certificates of the dev CA; `failing` answers 503 on /api/v1/flaky. */
async function startService(name: string, failing: boolean): Promise<number> {
  const service = createService({
    name,
    env: {
      SERVICE_PORT: '0',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_ENABLED: 'false',
      TLS_CERT_FILE: path.join(certs, `${name}.crt`),
      TLS_KEY_FILE: path.join(certs, `${name}.key`),
      TLS_CLIENT_CA_FILE: path.join(certs, 'ca.pem'),
    },
  });
  service.version(1, (api) => {
    api.get('/products', async (req) => {
      const socket = req.raw.socket as import('node:tls').TLSSocket;
      return { peer: socket.getPeerCertificate().subject?.CN, instance: failing ? 'a' : 'b' };
    });
    const flaky = async (_req: unknown, reply: { code(n: number): { send(b: unknown): void } }) => {
      if (failing) reply.code(503).send({ error: { code: 'NOT_READY', message: 'flaky' } });
      else reply.code(200).send({ instance: 'b' });
    };
    api.get('/flaky', flaky as never);
    api.post('/flaky', flaky as never);
  });
  services.push(service);
  return Number(new URL(await service.start({ signals: false })).port);
}

beforeAll(async () => {
  available = await exec(HAPROXY, ['-v']).then(
    () => true,
    () => false,
  );
  if (!available) {
    if (process.env.CI) throw new Error(`${HAPROXY} is not installed (scripts/test-servers.sh installs it)`);
    return;
  }
  dir = await mkdtemp(path.join(tmpdir(), 'outrig-mtls-'));
  certs = path.join(dir, 'certs');
  rogue = path.join(dir, 'rogue');
  await makeDevCerts({
    dir: certs,
    caName: 'test CA',
    names: ['edge', 'haproxy-client', 'inventory-service', 'caller'],
  });
  await makeDevCerts({ dir: certs, caName: 'test CA', names: ['expired'], days: -1 });
  await makeDevCerts({ dir: rogue, caName: 'rogue CA', names: ['caller'] });
  const a = await startService('inventory-service', true);
  const b = await startService('inventory-service', false);
  ports.a = a;
  ports.b = b;
  ports.https = await freePort();
  ports.http = await freePort();
  ports.stats = await freePort();
  ports.mesh = await freePort();
  const inventory: DeployService = {
    name: 'inventory-service',
    kind: 'service',
    port: 8004,
    database: false,
    auth: false,
    workspaceDir: 'services/inventory-service',
    workspaceDeps: [],
    entry: 'src/main.ts',
    env: {},
    calls: [],
    callers: [],
  };
  const compiled = compileRoutes([
    { path: '/api/*/products', service: 'inventory-service' },
    { path: '/api/*/flaky', service: 'inventory-service' },
  ]);
  if (!compiled.ok) throw new Error(compiled.problems.join('; '));
  const model: DeployModel = {
    system: 'mtls',
    namespace: 'mtls',
    transport: 'memory',
    workspaceRoot: dir,
    systemRoot: dir,
    services: [inventory],
    routes: compiled.routes,
    skippedRoutes: [],
    warnings: [],
    ops: { dashboards: [] },
  };
  const cfg = path.join(dir, 'haproxy.cfg');
  await writeFile(
    cfg,
    renderHaproxy(model, {
      certDir: certs,
      httpBind: `127.0.0.1:${ports.http}`,
      httpsBind: `127.0.0.1:${ports.https}`,
      statsBind: `127.0.0.1:${ports.stats}`,
      meshBind: `127.0.0.1:${ports.mesh}`,
      servers: { 'inventory-service': [`127.0.0.1:${a}`, `127.0.0.1:${b}`] },
      checkIntervalS: 1,
    }),
  );
  haproxy = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout?.on('data', (d) => (haproxyLog += d));
  haproxy.stderr?.on('data', (d) => (haproxyLog += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await call(ports.https, '/api/v1/products').catch(() => undefined);
    if (answer?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`HAProxy did not route in 30 s:\n${haproxyLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);

afterAll(async () => {
  if (haproxy?.pid !== undefined && haproxy.exitCode === null) {
    const exited = new Promise((resolve) => haproxy?.once('exit', resolve));
    haproxy.kill('SIGTERM');
    await exited;
  }
  for (const s of services) await s.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('HAProxy with mTLS to the services (rendered config, generated certificates)', () => {
  it('a request through the TLS edge reaches a service, which sees the proxy’s client certificate', async (ctx) => {
    if (!available) ctx.skip();
    const answer = await call(ports.https as number, '/api/v1/products');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data.peer).toBe('haproxy-client');
    const unversioned = await call(ports.https as number, '/api/products');
    expect(unversioned.status).toBe(307);
  });

  it('the mesh listener serves the same routes to services in plain HTTP, onward over mTLS', async (ctx) => {
    if (!available) ctx.skip();
    const answer = await fetch(`http://127.0.0.1:${ports.mesh}/api/v1/products`);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { data: { peer: string } }).data.peer).toBe('haproxy-client');
    const unrouted = await fetch(`http://127.0.0.1:${ports.mesh}/api/v1/nothing`);
    expect(unrouted.status).toBe(404);
    expect(((await unrouted.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('a direct TLS connection to a service without a client certificate is refused', async (ctx) => {
    if (!available) ctx.skip();
    await expect(call(ports.b as number, '/api/v1/products')).rejects.toThrow(/certificate required/);
    const ok = await call(ports.b as number, '/api/v1/products', { client: { dir: certs, name: 'caller' } });
    expect(ok.status).toBe(200);
  });

  it('a client certificate from another CA is refused', async (ctx) => {
    if (!available) ctx.skip();
    await expect(
      call(ports.b as number, '/api/v1/products', { client: { dir: rogue, name: 'caller' } }),
    ).rejects.toThrow();
  });

  it('an expired client certificate is refused', async (ctx) => {
    if (!available) ctx.skip();
    await expect(
      call(ports.b as number, '/api/v1/products', { client: { dir: certs, name: 'expired' } }),
    ).rejects.toThrow();
  });

  it('idempotent requests are retried on another server after a 503; a POST is not', async (ctx) => {
    if (!available) ctx.skip();
    const gets = [];
    for (let i = 0; i < 4; i++) gets.push((await call(ports.https as number, '/api/v1/flaky')).status);
    expect(gets).toEqual([200, 200, 200, 200]);
    const posts = [];
    for (let i = 0; i < 4; i++)
      posts.push((await call(ports.https as number, '/api/v1/flaky', { method: 'POST' })).status);
    expect(posts).toContain(503);
    expect(posts).toContain(200);
  });
});
