import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { serverAvailable, testServers } from '@outrig/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createService, type Service } from '../src/index.ts';
import { logCapture } from './helpers.ts';

const hasRedis = await serverAvailable('redis');

function instance(name: string, env: Record<string, string> = {}): Service {
  const service = createService({
    name,
    env: { REDIS_URL: testServers.redis, RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW: '1 minute', ...env },
    logStream: logCapture().stream,
  });
  service.version(1, (api) => {
    api.get('/things', async () => ({ ok: true }));
    api.post('/login', { config: { rateLimit: { max: 2, timeWindow: 60_000 } } }, async () => ({ ok: true }));
  });
  return service;
}

describe.skipIf(!hasRedis)('rate limits shared through Redis', () => {
  const name = `rl-redis-${randomUUID().slice(0, 8)}`;
  let a: Service;
  let b: Service;
  let other: Service;
  let admin: Redis;

  beforeAll(async () => {
    admin = new Redis(testServers.redis);
    a = instance(name);
    b = instance(name);
    other = instance(`${name}-other`);
    await Promise.all([a.app.ready(), b.app.ready(), other.app.ready()]);
  });

  afterAll(async () => {
    await Promise.all([a.stop(), b.stop(), other.stop()]);
    const keys = await admin.keys(`outrig:rate-limit:${name}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('two instances of one service share the budget: the N+1th request across both is 429', async () => {
    const ip = '10.2.0.1';
    const codes: number[] = [];
    for (const s of [a, b, a, b])
      codes.push((await s.app.inject({ url: '/api/v1/things', remoteAddress: ip })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200]);
    const res = await b.app.inject({ url: '/api/v1/things', remoteAddress: ip });
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 4 } });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['ratelimit-limit']).toBe('4');
    expect(res.headers['ratelimit-remaining']).toBe('0');
    expect(res.headers['ratelimit-reset']).toBe(res.headers['retry-after']);
    expect((await a.app.inject({ url: '/api/v1/things', remoteAddress: ip })).statusCode).toBe(429);
  });

  it('another service does not share the counters (namespace per service)', async () => {
    const res = await other.app.inject({ url: '/api/v1/things', remoteAddress: '10.2.0.1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['ratelimit-remaining']).toBe('3');
    expect(await admin.keys(`outrig:rate-limit:${name}:*`)).not.toHaveLength(0);
  });

  it('shares per-route overrides across instances too', async () => {
    const ip = '10.2.0.2';
    const login = (s: Service) => s.app.inject({ method: 'POST', url: '/api/v1/login', remoteAddress: ip });
    expect((await login(a)).statusCode).toBe(200);
    expect((await login(b)).statusCode).toBe(200);
    expect((await login(a)).statusCode).toBe(429);
  });

  it('reports Redis in /ready', async () => {
    const res = await a.app.inject({ url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.checks).toMatchObject({ redis: 'ok' });
  });

  it('closes its Redis connection when the service stops', async () => {
    const clientName = `outrig-rate-limit:${name}-closing`;
    const connections = async () =>
      String(await admin.client('LIST'))
        .split('\n')
        .filter((l) => l.includes(clientName));
    const s = instance(`${name}-closing`);
    await s.app.ready();
    expect(await connections()).toHaveLength(1);
    await s.stop();
    await vi.waitFor(async () => expect(await connections()).toHaveLength(0), {
      timeout: 3000,
      interval: 50,
    });
  });
});

describe('Redis unreachable: fail-open', () => {
  let service: Service;
  beforeAll(async () => {
    const port = await closedPort();
    service = instance(`rl-down-${randomUUID().slice(0, 8)}`, {
      REDIS_URL: `redis://127.0.0.1:${port}`,
      RATE_LIMIT_MAX: '1',
    });
    await service.app.ready();
  });
  afterAll(() => service.stop());

  it('lets requests through (the limit is not enforced) and /ready reports Redis down', async () => {
    for (let i = 0; i < 3; i++) {
      expect(
        (await service.app.inject({ url: '/api/v1/things', remoteAddress: '10.3.0.1' })).statusCode,
      ).toBe(200);
    }
    const ready = await service.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().error).toMatchObject({
      code: 'NOT_READY',
      details: { checks: { redis: expect.stringMatching(/^down/) } },
    });
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
