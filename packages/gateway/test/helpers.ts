import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createService, type Service, Type } from '@outrig/core';
import { createLocalRegistry, type Registration, type Registry, versionMeta } from '@outrig/discovery';
import { freePort, logCapture } from '@outrig/testing';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type CreateGatewayOptions, createGateway, type Gateway, type GatewayRoute } from '../src/index.ts';

export { freePort };

/** A JSON body as the tests read it: shapes are checked by the assertions themselves. */
// biome-ignore lint/suspicious/noExplicitAny: assertions check the shape
export type Json = any;

/** The JSON body of a fetch response. */
export function json(res: Response): Promise<Json> {
  return res.json() as Promise<Json>;
}

export { logCapture };

/** What an upstream test service saw. */
export interface Hits {
  /** `METHOD /path` → count. */
  readonly byRoute: Map<string, number>;
  /** Headers of the last request, by route. */
  readonly lastHeaders: Map<string, Record<string, string | string[] | undefined>>;
  count(route: string): number;
}

export interface UpstreamOptions {
  /** Resource path segment: `products` serves `/api/v1/products`, `/api/v2/products/:id`… */
  resource: string;
  /** Fixed port (to restart on the same address). Default: any. */
  port?: number;
  /** Tag returned in bodies, to tell instances apart. */
  tag: string;
  /** `METHOD /flaky` answers 503 on this instance. */
  failFlaky?: boolean;
}

/** A small two-version service (v1 deprecated) built with createService on 127.0.0.1. */
export interface TestUpstream {
  readonly service: Service;
  readonly url: string;
  readonly hits: Hits;
  stop(): Promise<void>;
}

export async function startUpstream(name: string, options: UpstreamOptions): Promise<TestUpstream> {
  const byRoute = new Map<string, number>();
  const lastHeaders = new Map<string, Record<string, string | string[] | undefined>>();
  const service = createService({
    name,
    env: {
      SERVICE_HOST: '127.0.0.1',
      SERVICE_PORT: String(options.port ?? 0),
      LOG_LEVEL: 'silent',
      RATE_LIMIT_ENABLED: 'false',
    },
  });
  service.app.addHook('onRequest', async (request) => {
    const key = `${request.method} ${request.url.split('?')[0]}`;
    byRoute.set(key, (byRoute.get(key) ?? 0) + 1);
    lastHeaders.set(key, { ...request.headers });
  });
  const r = `/${options.resource}`;
  const Item = Type.Object({ id: Type.String(), version: Type.Integer(), tag: Type.String() });
  service.version(
    1,
    (api) => {
      api.get(r, async () => [{ id: '1', version: 1, tag: options.tag }]);
      api.get(`${r}/only-v1`, async () => ({ version: 1 }));
    },
    { deprecated: '2026-01-01', sunset: '2027-01-01' },
  );
  service.version(2, (api) => {
    api.get(
      `${r}/:id`,
      { schema: { params: Type.Object({ id: Type.String() }), response: { 200: Item } } },
      async (req) => ({ id: req.params.id, version: 2, tag: options.tag }),
    );
    api.get(r, async () => [{ id: '1', version: 2, tag: options.tag }]);
    api.post(r, { schema: { body: Type.Object({ name: Type.String() }) } }, async (req, reply) => {
      reply.code(201);
      return { id: 'new', name: req.body.name, tag: options.tag };
    });
    const flaky = async (_req: unknown, reply: { code(n: number): unknown }) => {
      if (options.failFlaky) {
        reply.code(503);
        return { error: { code: 'NOT_READY', message: 'flaky' } };
      }
      return { ok: true, tag: options.tag };
    };
    api.get(`${r}/flaky`, flaky);
    api.post(`${r}/flaky`, flaky);
    api.get(`${r}/slow`, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return { ok: true };
    });
    api.get(`${r}/big`, async (_req, reply) => {
      reply.header('content-type', 'text/plain');
      return reply.send('x'.repeat(300_000));
    });
  });
  const url = await service.start({ signals: false });
  return {
    service,
    url,
    hits: { byRoute, lastHeaders, count: (route) => byRoute.get(route) ?? 0 },
    stop: async () => {
      await service.stop();
    },
  };
}

/** A `local:` registry in a temporary folder, cleaned up by `close()`. */
export async function tempRegistry(): Promise<{
  registry: Registry;
  register(name: string, upstream: TestUpstream): Promise<Registration>;
  /** Registers an instance by URL (one in another process) with API version metadata. */
  registerUrl(name: string, url: string, meta?: Record<string, string>): Promise<Registration>;
  close(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'outrig-gateway-'));
  const registry = createLocalRegistry({ dir, ttlSeconds: 30, rescanMs: 50 });
  return {
    registry,
    register: (name, upstream) =>
      registry.register({ name, url: upstream.url, meta: versionMeta(upstream.service.apiVersions()) }),
    registerUrl: (name, url, meta = { versions: '1,2', latest: '2', deprecated: '1' }) =>
      registry.register({ name, url, meta }),
    async close() {
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A JWKS endpoint with one ES256 key, and a signer for tokens of the auth contract. */
export interface TestIssuer {
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  sign(claims?: Record<string, unknown>, options?: { expiresIn?: string; issuer?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  const issuer = 'http://issuer.test';
  const audience = 'outrig-test';
  return {
    jwksUrl: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
    issuer,
    audience,
    sign: (claims = {}, options = {}) =>
      new SignJWT({ roles: ['user'], tenant: 't1', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
        .setSubject(typeof claims.sub === 'string' ? claims.sub : 'user-1')
        .setIssuer(options.issuer ?? issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(privateKey),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A gateway on a free port of 127.0.0.1, with quiet logs and no self-registration. */
export async function startGateway(
  routes: GatewayRoute[],
  registry: Registry,
  env: Record<string, string> = {},
  extra: Partial<CreateGatewayOptions> = {},
): Promise<{ gateway: Gateway; url: string; logs: ReturnType<typeof logCapture> }> {
  const logs = logCapture();
  const gateway = await createGateway({
    routes,
    registry,
    logStream: logs.stream,
    env: {
      SERVICE_HOST: '127.0.0.1',
      SERVICE_PORT: '0',
      AUTO_REGISTER_SERVICE: 'false',
      LOG_LEVEL: 'info',
      ...env,
    },
    ...extra,
  });
  const url = await gateway.start({ signals: false });
  return { gateway, url, logs };
}

/** A GET with the path sent exactly as given (fetch normalizes `..` away before sending). */
export function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'GET', path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The test upstream in a child process on `port` (fixtures/upstream-process.ts). */
export async function spawnUpstream(port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'upstream-process.ts')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /ready (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`upstream process exited with ${code}`)));
  });
  return { child, url };
}

/** SIGKILL and wait for the exit. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
