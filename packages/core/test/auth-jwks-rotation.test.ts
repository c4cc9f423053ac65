import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createService, type Service } from '../src/index.ts';
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

// Short enough for a test, long enough that a burst of requests fits well inside it.
const COOLDOWN_MS = 2000;
const REFRESH_MS = 3000;

function verifyingService(jwks: JwksServer): Service {
  const service = createService({
    name: 'rotation-test',
    env: jwtEnv(jwks),
    logStream: logCapture().stream,
    auth: { jwksCooldownMs: COOLDOWN_MS, jwksRefreshMs: REFRESH_MS },
  });
  service.version(1, (api) => {
    api.get('/me', { config: { auth: 'required' } }, async (req) => req.principal?.subject);
  });
  return service;
}

describe('JWKS rotation', () => {
  let oldKey: SigningKey;
  let newKey: SigningKey;
  let jwks: JwksServer;
  let service: Service;
  let strangerTokens: string[];
  const me = async (token: string) =>
    (await service.app.inject({ url: '/api/v1/me', headers: bearer(token) })).statusCode;

  beforeAll(async () => {
    oldKey = await signingKey();
    newKey = await signingKey();
    const strangers = await Promise.all(Array.from({ length: 10 }, () => signingKey()));
    strangerTokens = await Promise.all(strangers.map((k) => accessToken(k)));
    jwks = await startJwksServer([oldKey.publicJwk]);
    service = verifyingService(jwks);
    await service.app.ready();
  });
  afterAll(async () => {
    await service.app.close();
    await jwks.close();
  });

  it('fetches the JWKS once for the first token, then serves from cache', async () => {
    expect(await me(await accessToken(oldKey))).toBe(200);
    expect(await me(await accessToken(oldKey))).toBe(200);
    expect(jwks.requests).toBe(1);
  });

  it('keeps old-key tokens valid while the JWKS lists the old key', async () => {
    jwks.keys = [newKey.publicJwk, oldKey.publicJwk];
    expect(await me(await accessToken(oldKey))).toBe(200);
    expect(jwks.requests).toBe(1);
  });

  it('refetches exactly once for a token with a new kid', async () => {
    await sleep(COOLDOWN_MS + 100); // the cooldown since the first fetch has passed
    const results = await Promise.all([1, 2, 3, 4, 5].map(async () => me(await accessToken(newKey))));
    expect(results).toEqual([200, 200, 200, 200, 200]);
    expect(jwks.requests).toBe(2);
    expect(await me(await accessToken(oldKey))).toBe(200);
    expect(jwks.requests).toBe(2);
  });

  it('does not hammer the JWKS endpoint with a burst of unknown kids (cooldown)', async () => {
    const concurrent = await Promise.all(strangerTokens.map(me));
    const sequential: number[] = [];
    for (const t of strangerTokens) sequential.push(await me(t));
    expect(new Set([...concurrent, ...sequential])).toEqual(new Set([401]));
    expect(jwks.requests).toBe(2);
  });

  it('stops trusting a key removed from the JWKS after the background refresh', async () => {
    jwks.keys = [newKey.publicJwk];
    await sleep(REFRESH_MS + 100);
    // The first request after the interval starts the refresh in the background (still served
    // from the current keys, never blocked on the issuer); later ones see the new set.
    await me(await accessToken(newKey));
    await vi.waitFor(async () => expect(await me(await accessToken(oldKey))).toBe(401), {
      timeout: 5000,
      interval: 50,
    });
    expect(await me(await accessToken(newKey))).toBe(200);
    expect(jwks.requests).toBe(3);
  });

  it('counts JWKS requests in auth_jwks_fetches_total', async () => {
    const metrics = (await service.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/auth_jwks_fetches_total\{outcome="ok",service="rotation-test"\} 3/);
  });
});

describe('JWKS first fetch', () => {
  it('is shared by concurrent requests (one fetch), and an outage keeps the cached keys', async () => {
    const key = await signingKey();
    const jwks = await startJwksServer([key.publicJwk]);
    const service = verifyingService(jwks);
    await service.app.ready();
    const tokens = await Promise.all(Array.from({ length: 8 }, () => accessToken(key)));
    const codes = await Promise.all(
      tokens.map(
        async (t) => (await service.app.inject({ url: '/api/v1/me', headers: bearer(t) })).statusCode,
      ),
    );
    expect(codes).toEqual(Array(8).fill(200));
    expect(jwks.requests).toBe(1);

    await jwks.close(); // the issuer goes away; the refresh interval passes
    await sleep(REFRESH_MS + 100);
    for (let i = 0; i < 3; i++) {
      const res = await service.app.inject({ url: '/api/v1/me', headers: bearer(await accessToken(key)) });
      expect(res.statusCode).toBe(200);
    }
    await service.app.close();
  });
});
