import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '@outrig/core';
import { createLocalRegistry, versionMeta } from '@outrig/discovery';
import { createRouteMatcher, type Gateway } from '@outrig/gateway';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryProductRepository } from '../../inventory-service/src/repositories/product-repository.ts';
import { createInventoryService } from '../../inventory-service/src/service.ts';
import { createShopGateway } from '../src/gateway.ts';
import { shopRoutes } from '../src/routes.ts';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');

// biome-ignore lint/suspicious/noExplicitAny: assertions check the shape
const json = (res: Response): Promise<any> => res.json() as Promise<any>;

describe('the shop route table', () => {
  it('sends each prefix of the reference system to its service', async () => {
    const { compileRoutes } = await import('@outrig/gateway');
    const compiled = compileRoutes(shopRoutes);
    if (!compiled.ok) throw new Error(compiled.problems.join('; '));
    const matcher = createRouteMatcher(compiled.routes);
    const owner = (path: string) => matcher.match(path)?.route.service;
    expect(owner('/api/v1/auth/login')).toBe('auth-service');
    expect(owner('/.well-known/jwks.json')).toBe('auth-service');
    expect(owner('/api/v2/products/7')).toBe('inventory-service');
    expect(owner('/api/products')).toBe('inventory-service');
    expect(owner('/api/v1/notifications')).toBe('notification-service');
    expect(owner('/api/v1/orders/1')).toBe('order-service');
  });

  it('a bad GATEWAY_ROUTES stops the process at start, naming the variable (exit 78)', async () => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, GATEWAY_ROUTES: '[{"path":"products","service":"inventory-service"}]' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(78);
    expect(stderr).toContain('CONFIG_INVALID');
    expect(stderr).toContain('GATEWAY_ROUTES=');
    expect(stderr).toContain('routes[0].path must start with /');
  });
});

describe('the shop gateway in front of inventory-service', () => {
  let dir: string;
  let jwks: Server;
  let inventory: Service;
  let gateway: Gateway;
  let url: string;
  let adminToken: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shop-gateway-'));
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const auth = {
      JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as { port: number }).port}/.well-known/jwks.json`,
      JWT_ISSUER: 'http://127.0.0.1:8001',
      JWT_AUDIENCE: 'outrig-shop',
    };
    adminToken = await new SignJWT({ roles: ['admin'], tenant: 'shop' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
      .setSubject('admin-1')
      .setIssuer(auth.JWT_ISSUER)
      .setAudience(auth.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

    inventory = await createInventoryService({
      env: { SERVICE_HOST: '127.0.0.1', SERVICE_PORT: '0', LOG_LEVEL: 'silent', ...auth },
      repository: createMemoryProductRepository(),
    });
    const inventoryUrl = await inventory.start({ signals: false });
    const registry = createLocalRegistry({ dir: join(dir, 'registry') });
    await registry.register({
      name: 'inventory-service',
      url: inventoryUrl,
      meta: versionMeta(inventory.apiVersions()),
    });
    gateway = await createShopGateway({
      env: {
        ...auth,
        SERVICE_HOST: '127.0.0.1',
        SERVICE_PORT: '0',
        LOG_LEVEL: 'silent',
        REGISTRY_URL: `local:${join(dir, 'registry')}`,
        AUTO_REGISTER_SERVICE: 'false',
      },
    });
    url = await gateway.start({ signals: false });
  });

  afterAll(async () => {
    await gateway?.stop();
    await inventory?.stop();
    await new Promise((resolve) => jwks?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a product as admin and reads it back, through the gateway only', async () => {
    const pen = { name: 'Pen', sku: 'PEN-1', stock: 5, price: { amount: 199, currency: 'EUR' } };
    const created = await fetch(`${url}/api/v2/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify(pen),
    });
    expect(created.status).toBe(201);
    const product = (await json(created)).data;
    const admin = { authorization: `Bearer ${adminToken}` };
    const latest = await fetch(`${url}/api/products/${product.id}`, { redirect: 'manual', headers: admin });
    expect(latest.status).toBe(307);
    expect(latest.headers.get('location')).toBe(`/api/v2/products/${product.id}`);
    const read = await fetch(`${url}${latest.headers.get('location')}`, { headers: admin });
    const readBody = await json(read);
    expect(read.status, JSON.stringify(readBody)).toBe(200);
    expect(readBody.data).toMatchObject(pen);
  });

  it('a bad token is refused at the edge', async () => {
    const res = await fetch(`${url}/api/v2/products`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
    expect((await json(res)).error.code).toBe('UNAUTHENTICATED');
  });

  it('a service that is not running answers 503 SERVICE_NO_INSTANCES', async () => {
    const res = await fetch(`${url}/api/v1/orders`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(res.status).toBe(503);
    expect((await json(res)).error.code).toBe('SERVICE_NO_INSTANCES');
  });
});
