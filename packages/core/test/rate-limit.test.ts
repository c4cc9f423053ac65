import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, isOutrigError, type Service } from '../src/index.ts';
import {
  accessToken,
  bearer,
  type JwksServer,
  jwtEnv,
  type SigningKey,
  signingKey,
  startJwksServer,
} from './auth-fixtures.ts';
import { logCapture } from './helpers.ts';

function limitedService(env: Record<string, string>): Service {
  const service = createService({ name: 'rl-test', env, logStream: logCapture().stream });
  service.version(1, (api) => {
    api.get('/a', async () => ({ ok: true }));
    api.get('/b', async () => ({ ok: true }));
    api.post('/strict', { config: { rateLimit: { max: 1, timeWindow: '1 minute' } } }, async () => ({
      ok: true,
    }));
    api.get('/unlimited', { config: { rateLimit: false } }, async () => ({ ok: true }));
  });
  return service;
}

describe('default limit, in-memory store (no REDIS_URL)', () => {
  let service: Service;
  beforeAll(() => {
    service = limitedService({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1 minute' });
  });
  afterAll(() => service.app.close());

  it('counts per caller across routes; the 4th request is 429 in the envelope with the headers', async () => {
    const ip = '10.0.0.1';
    const remaining: string[] = [];
    for (const url of ['/api/v1/a', '/api/v1/b', '/api/v1/a']) {
      const res = await service.app.inject({ url, remoteAddress: ip });
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe('3');
      remaining.push(String(res.headers['ratelimit-remaining']));
      expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const res = await service.app.inject({ url: '/api/v1/b', remoteAddress: ip });
    expect(res.statusCode).toBe(429);
    expect(res.json()).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: 'Too many requests',
        details: { limit: 3, retryAfterSeconds: expect.any(Number) },
      },
    });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.json().error.details.retryAfterSeconds).toBe(retryAfter);
    expect(res.headers['ratelimit-limit']).toBe('3');
    expect(res.headers['ratelimit-remaining']).toBe('0');
    expect(res.headers['ratelimit-reset']).toBe(String(retryAfter));
    // The envelope's other headers are still there.
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.headers['content-security-policy']).toBeDefined();
  });

  it('keeps other callers (IPs) apart', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await service.app.inject({ url: '/api/v1/a', remoteAddress: '10.0.0.2' })).statusCode).toBe(
        200,
      );
    }
    expect((await service.app.inject({ url: '/api/v1/a', remoteAddress: '10.0.0.3' })).statusCode).toBe(200);
    expect((await service.app.inject({ url: '/api/v1/a', remoteAddress: '10.0.0.2' })).statusCode).toBe(429);
  });

  it('never limits /health, /ready, /metrics, /openapi.json, /api/versions', async () => {
    for (const url of ['/health', '/ready', '/metrics', '/openapi.json', '/api/versions']) {
      for (let i = 0; i < 6; i++) {
        const res = await service.app.inject({ url, remoteAddress: '10.0.0.4' });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['ratelimit-limit'], url).toBeUndefined();
      }
    }
    // And they did not use up the caller's budget.
    expect((await service.app.inject({ url: '/api/v1/a', remoteAddress: '10.0.0.4' })).statusCode).toBe(200);
  });

  it('applies a per-route override with its own counter, and rateLimit: false', async () => {
    const ip = '10.0.0.5';
    const strict = () => service.app.inject({ method: 'POST', url: '/api/v1/strict', remoteAddress: ip });
    expect((await strict()).statusCode).toBe(200);
    const second = await strict();
    expect(second.statusCode).toBe(429);
    expect(second.headers['ratelimit-limit']).toBe('1');
    expect((await service.app.inject({ url: '/api/v1/a', remoteAddress: ip })).statusCode).toBe(200);
    for (let i = 0; i < 6; i++) {
      const res = await service.app.inject({ url: '/api/v1/unlimited', remoteAddress: ip });
      expect(res.statusCode).toBe(200);
    }
  });
});

describe('RATE_LIMIT_ENABLED=false', () => {
  it('drops the default limit but keeps limits declared on routes', async () => {
    const service = limitedService({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_MAX: '1' });
    for (let i = 0; i < 5; i++) {
      const res = await service.app.inject({ url: '/api/v1/a' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-limit']).toBeUndefined();
    }
    expect((await service.app.inject({ method: 'POST', url: '/api/v1/strict' })).statusCode).toBe(200);
    expect((await service.app.inject({ method: 'POST', url: '/api/v1/strict' })).statusCode).toBe(429);
    await service.app.close();
  });
});

describe('keyed by principal', () => {
  let key: SigningKey;
  let jwks: JwksServer;
  let service: Service;
  beforeAll(async () => {
    key = await signingKey();
    jwks = await startJwksServer([key.publicJwk]);
    service = createService({
      name: 'rl-auth',
      env: jwtEnv(jwks, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '2' }),
      logStream: logCapture().stream,
    });
    service.version(1, (api) => {
      api.get('/me', { config: { auth: 'required' } }, async () => ({ ok: true }));
    });
    await service.app.ready();
  });
  afterAll(async () => {
    await service.app.close();
    await jwks.close();
  });

  const me = (token: string, ip: string) =>
    service.app.inject({ url: '/api/v1/me', headers: bearer(token), remoteAddress: ip });

  it('gives each subject its own budget, wherever it calls from', async () => {
    const alice = await accessToken(key, { sub: 'alice' });
    const bob = await accessToken(key, { sub: 'bob' });
    expect((await me(alice, '10.1.0.1')).statusCode).toBe(200);
    expect((await me(alice, '10.1.0.2')).statusCode).toBe(200);
    expect((await me(alice, '10.1.0.3')).statusCode).toBe(429);
    // Same IP as alice's first call, another subject: its own budget.
    expect((await me(bob, '10.1.0.1')).statusCode).toBe(200);
  });

  it('never limits principals with an exempt role (service by default)', async () => {
    const svc = await accessToken(key, {
      sub: 'service:order-service',
      roles: ['service'],
      tenant: undefined,
    });
    for (let i = 0; i < 5; i++) expect((await me(svc, '10.1.0.9')).statusCode).toBe(200);
  });

  it('answers 401 before counting an invalid token', async () => {
    const res = await me('not.a.token', '10.1.0.10');
    expect(res.statusCode).toBe(401);
    expect(res.headers['ratelimit-limit']).toBeUndefined();
  });
});

describe('config', () => {
  it('rejects a malformed RATE_LIMIT_WINDOW naming it', () => {
    let err: unknown;
    try {
      createService({ name: 'x', env: { RATE_LIMIT_WINDOW: 'soon' } });
    } catch (e) {
      err = e;
    }
    expect(isOutrigError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('RATE_LIMIT_WINDOW="soon" is invalid');
  });

  it('accepts milliseconds and durations', () => {
    for (const [raw, ms] of [
      ['1500', 1500],
      ['30s', 30_000],
      ['1 minute', 60_000],
    ] as const) {
      const s = createService({ name: 'x', env: { RATE_LIMIT_WINDOW: raw } });
      expect(s.config.rateLimitWindowMs).toBe(ms);
      void s.app.close();
    }
  });
});

describe('behind a trusted proxy (TRUST_PROXY)', () => {
  let service: Service;
  beforeAll(() => {
    service = limitedService({ RATE_LIMIT_MAX: '1', TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(() => service.app.close());

  it('counts each client named by X-Forwarded-For, not the proxy', async () => {
    const via = (client: string) =>
      service.app.inject({
        url: '/api/v1/a',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': client },
      });
    expect((await via('203.0.113.1')).statusCode).toBe(200);
    expect((await via('203.0.113.2')).statusCode).toBe(200);
    expect((await via('203.0.113.1')).statusCode).toBe(429);
  });

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    const from = (client: string) =>
      service.app.inject({
        url: '/api/v1/a',
        remoteAddress: '198.51.100.7',
        headers: { 'x-forwarded-for': client },
      });
    expect((await from('203.0.113.50')).statusCode).toBe(200);
    expect((await from('203.0.113.51')).statusCode).toBe(429);
  });
});
