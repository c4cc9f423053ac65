import { createService, type Service } from '@outrig/core';
import { serverAvailable } from '@outrig/testing';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSigningKeys } from '../src/keys/rotate-signing-keys.ts';
import { type AuthHarness, CLIENT, post, startAuthService } from './harness.ts';

// The other side of the token contract: a service built with the kit verifies auth-service's
// tokens through its real JWKS URL, as every service and the gateway do.
const hasPg = await serverAvailable('postgres');
let h: AuthHarness;
let api: Service;
const ADMIN = { email: 'boss@contract.test', password: 'contract admin password' };

beforeAll(async () => {
  if (!hasPg) return;
  h = await startAuthService('auth_contract', {
    SERVICE_PORT: '0',
    // The verifier's keep-alive connection to the JWKS would hold the default 10 s drain.
    SHUTDOWN_TIMEOUT_MS: '500',
    AUTH_ADMIN_EMAIL: ADMIN.email,
    AUTH_ADMIN_PASSWORD: ADMIN.password,
  });
  const authUrl = await h.service.start({ signals: false });
  api = createService({
    name: 'contract-api',
    env: {
      LOG_LEVEL: 'silent',
      JWT_JWKS_URL: `${authUrl}/.well-known/jwks.json`,
      JWT_ISSUER: 'http://127.0.0.1:8001',
      JWT_AUDIENCE: 'outrig',
    },
    // A verifier that refetches on an unknown kid only once a minute: rotation must not rely on
    // that refetch. A short background refresh stands in for the default 300 s.
    auth: { jwksCooldownMs: 60_000, jwksRefreshMs: 100 },
  });
  api.version(1, (v) => {
    v.get('/admin-only', { config: { roles: ['admin'] } }, async (request) => ({
      subject: request.principal!.subject,
      tenant: request.principal!.tenant ?? null,
    }));
    v.get('/orders', { config: { scopes: ['orders.read'] } }, async (request) => ({
      subject: request.principal!.subject,
    }));
  });
  await api.app.ready();
});
afterAll(async () => {
  await api?.app.close();
  await h?.close();
});

const tokenOf = async (email: string, password: string) =>
  (await post(h.service, '/api/v1/auth/login', { email, password })).json().data.accessToken as string;
const call = (url: string, token: string) =>
  api.app.inject({ url, headers: { authorization: `Bearer ${token}` } });

describe.skipIf(!hasPg)('a kit service verifies auth-service tokens through the JWKS URL', () => {
  it('admin token passes a roles route; a user token is 403; no token is 401', async () => {
    const admin = await call('/api/v1/admin-only', await tokenOf(ADMIN.email, ADMIN.password));
    expect(admin.statusCode).toBe(200);
    expect(admin.json().data.tenant).toBe('default');
    await post(h.service, '/api/v1/auth/register', { email: 'u@contract.test', password: ADMIN.password });
    const user = await call('/api/v1/admin-only', await tokenOf('u@contract.test', ADMIN.password));
    expect(user.statusCode).toBe(403);
    expect((await api.app.inject({ url: '/api/v1/admin-only' })).statusCode).toBe(401);
  });

  it('a service token carries the client scopes', async () => {
    const res = await post(h.service, '/api/v1/auth/token', {
      grant_type: 'client_credentials',
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
    });
    const orders = await call('/api/v1/orders', res.json().data.accessToken);
    expect(orders.statusCode).toBe(200);
    expect(orders.json().data.subject).toBe('service:orders');
  });

  it('a rotation is pre-published: when the new key starts signing the verifier knows it; old tokens still verify', async () => {
    const old = await tokenOf(ADMIN.email, ADMIN.password);
    expect((await call('/api/v1/admin-only', old)).statusCode).toBe(200); // the verifier has fetched the JWKS
    const { kid } = await rotateSigningKeys(h.db.sql, { activateInS: 1 });
    let fresh = await tokenOf(ADMIN.email, ADMIN.password);
    for (let i = 0; i < 100 && decodeProtectedHeader(fresh).kid !== kid; i++) {
      // Traffic (new tokens, so not from the verifier's cache): it refreshes the JWKS in the background.
      expect((await call('/api/v1/admin-only', fresh)).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      fresh = await tokenOf(ADMIN.email, ADMIN.password);
    }
    expect(decodeProtectedHeader(fresh).kid).toBe(kid);
    expect((await call('/api/v1/admin-only', fresh)).statusCode).toBe(200);
    expect((await call('/api/v1/admin-only', old)).statusCode).toBe(200);
  });
});
