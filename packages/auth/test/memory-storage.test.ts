import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryAuthStorage } from '../src/memory-storage.ts';
import { createAuthService } from '../src/service.ts';

// The same HTTP contract as on PostgreSQL (auth-api.test.ts), without a database: what generated
// systems use in their tests.
const service = await createAuthService({
  env: {
    LOG_LEVEL: 'silent',
    AUTH_LOCKOUT_THRESHOLD: '2',
    AUTH_ADMIN_EMAIL: 'root@x.test',
    AUTH_ADMIN_PASSWORD: 'root-password-for-tests',
  },
  scrypt: { ln: 10, r: 8, p: 1 },
  storage: createMemoryAuthStorage(),
});
afterAll(() => service.app.close());

const post = (url: string, payload: object, headers = {}) =>
  service.app.inject({ method: 'POST', url, payload, headers });
const user = { email: 'ada@example.com', password: 'correct horse battery staple' };

describe('createAuthService on createMemoryAuthStorage()', () => {
  it('registers, logs in, answers /auth/me, rotates refresh tokens and detects reuse', async () => {
    const registered = await post('/api/v1/auth/register', user);
    expect(registered.statusCode).toBe(201);
    expect((await post('/api/v1/auth/register', user)).json().error.code).toBe('EMAIL_TAKEN');
    const login = (await post('/api/v1/auth/login', user)).json().data;
    const me = await service.app.inject({
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${login.accessToken}` },
    });
    expect(me.json().data).toMatchObject({ email: user.email, roles: ['user'] });
    const next = await post('/api/v1/auth/refresh', { refreshToken: login.refreshToken });
    expect(next.statusCode).toBe(200);
    const reused = await post('/api/v1/auth/refresh', { refreshToken: login.refreshToken });
    expect(reused.json().error.code).toBe('REFRESH_TOKEN_REUSED');
    const after = await post('/api/v1/auth/refresh', { refreshToken: next.json().data.refreshToken });
    expect(after.json().error.code).toBe('REFRESH_TOKEN_INVALID');
    const jwks = (await service.app.inject({ url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys).toHaveLength(1);
  });

  it('seeds the admin, refuses a claimed tenant, locks after failed logins', async () => {
    const admin = (
      await post('/api/v1/auth/login', { email: 'root@x.test', password: 'root-password-for-tests' })
    ).json();
    expect(admin.data.accessToken).toEqual(expect.any(String));
    const claim = await post('/api/v1/auth/register', {
      email: 'b@example.com',
      password: user.password,
      tenant: 'acme',
    });
    expect(claim.statusCode).toBe(201);
    const again = await post('/api/v1/auth/register', {
      email: 'c@example.com',
      password: user.password,
      tenant: 'acme',
    });
    expect(again.json().error.code).toBe('TENANT_EXISTS');
    const wrong = { email: 'b@example.com', password: 'not the password at all' };
    expect((await post('/api/v1/auth/login', wrong)).json().error.code).toBe('INVALID_CREDENTIALS');
    await post('/api/v1/auth/login', wrong);
    const locked = await post('/api/v1/auth/login', { email: 'b@example.com', password: user.password });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('ACCOUNT_LOCKED');
  });
});
