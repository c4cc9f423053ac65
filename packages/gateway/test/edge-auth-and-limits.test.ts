import { randomUUID } from 'node:crypto';
import { serverAvailable, testServers } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway, GatewayRoute } from '../src/index.ts';
import {
  json,
  startGateway,
  startIssuer,
  startUpstream,
  type TestIssuer,
  type TestUpstream,
  tempRegistry,
} from './helpers.ts';

// Tokens signed with a real ES256 key, verified by the gateway against a local JWKS server.
let registry: Awaited<ReturnType<typeof tempRegistry>>;
let issuer: TestIssuer;
let inventory: TestUpstream;
let notifications: TestUpstream;
let gateway: Gateway;
let url: string;
let jwtEnv: Record<string, string>;

const routes: GatewayRoute[] = [
  {
    path: '/api/*/products',
    service: 'inventory-service',
    auth: 'required',
    rateLimit: { max: 3, timeWindow: 60_000 },
  },
  { path: '/api/*/notifications', service: 'notification-service', roles: ['admin'] },
];

beforeAll(async () => {
  registry = await tempRegistry();
  issuer = await startIssuer();
  inventory = await startUpstream('inventory-service', { resource: 'products', tag: 'inv' });
  notifications = await startUpstream('notification-service', { resource: 'notifications', tag: 'n' });
  await registry.register('inventory-service', inventory);
  await registry.register('notification-service', notifications);
  jwtEnv = { JWT_JWKS_URL: issuer.jwksUrl, JWT_ISSUER: issuer.issuer, JWT_AUDIENCE: issuer.audience };
  ({ gateway, url } = await startGateway(routes, registry.registry, jwtEnv));
});

afterAll(async () => {
  await gateway?.stop();
  await inventory?.stop();
  await notifications?.stop();
  await issuer?.close();
  await registry?.close();
});

const hasRedis = await serverAvailable('redis');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('JWT verification at the edge', () => {
  it('401 in the envelope for a missing or bad token; the service is never called', async () => {
    const before = inventory.hits.count('GET /api/v2/products/1');
    const expired = await issuer.sign({}, { expiresIn: '-1m' });
    const otherIssuer = await issuer.sign({}, { issuer: 'http://evil.test' });
    const [header, payload, signature] = (await issuer.sign()).split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ sub: 'admin', roles: ['admin'] })).toString('base64url')}.${signature}`;
    expect(payload).toBeDefined();
    for (const headers of [
      {},
      bearer('not-a-jwt'),
      bearer(expired),
      bearer(otherIssuer),
      bearer(tampered),
      { authorization: 'Basic dXNlcjpwYXNz' },
    ]) {
      const res = await fetch(`${url}/api/v2/products/1`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect((await json(res)).error.code).toBe('UNAUTHENTICATED');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
    expect(inventory.hits.count('GET /api/v2/products/1')).toBe(before);
  });

  it('a valid token passes, and the Authorization header reaches the service', async () => {
    const token = await issuer.sign({ sub: `user-${randomUUID()}` });
    const res = await fetch(`${url}/api/v2/products/1`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    expect(inventory.hits.lastHeaders.get('GET /api/v2/products/1')?.authorization).toBe(`Bearer ${token}`);
  });

  it('403 when the route needs a role the token lacks', async () => {
    const user = await issuer.sign({ roles: ['user'] });
    const denied = await fetch(`${url}/api/v2/notifications`, { headers: bearer(user) });
    expect(denied.status).toBe(403);
    expect((await json(denied)).error).toMatchObject({
      code: 'FORBIDDEN',
      details: { requiredRoles: ['admin'] },
    });
    const admin = await issuer.sign({ roles: ['admin'] });
    expect((await fetch(`${url}/api/v2/notifications`, { headers: bearer(admin) })).status).toBe(200);
  });
});

describe('rate limits at the edge', () => {
  it('429 in the envelope after the route limit, with Retry-After and RateLimit-* headers', async () => {
    const token = await issuer.sign({ sub: `limited-${randomUUID()}` });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await fetch(`${url}/api/v2/products/1`, { headers: bearer(token) });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await json(last!)).error.code).toBe('RATE_LIMITED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('ratelimit-limit')).toBe('3');
    expect(last!.headers.get('ratelimit-remaining')).toBe('0');
    // Limits are per caller: another subject still passes.
    const other = await issuer.sign({ sub: `other-${randomUUID()}` });
    expect((await fetch(`${url}/api/v2/products/1`, { headers: bearer(other) })).status).toBe(200);
  });

  it.skipIf(!hasRedis)('with REDIS_URL, two gateways share one limit', async () => {
    const name = `gateway-test-${randomUUID().slice(0, 8)}`;
    const env = { ...jwtEnv, REDIS_URL: testServers.redis };
    const a = await startGateway(routes, registry.registry, env, { name });
    const b = await startGateway(routes, registry.registry, env, { name });
    try {
      const token = await issuer.sign({ sub: `shared-${randomUUID()}` });
      const statuses: number[] = [];
      for (const target of [a.url, b.url, a.url, b.url]) {
        statuses.push((await fetch(`${target}/api/v2/products/1`, { headers: bearer(token) })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await a.gateway.stop();
      await b.gateway.stop();
    }
  });
});
