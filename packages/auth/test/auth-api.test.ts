import { serverAvailable } from '@outrig/testing';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresRefreshTokenRepository } from '../src/repositories/postgres-refresh-token-repository.ts';
import { hashRefreshToken } from '../src/tokens/refresh-token.ts';
import { type AuthHarness, post, startAuthService } from './harness.ts';

const hasPg = await serverAvailable('postgres');
let h: AuthHarness;
beforeAll(async () => {
  if (hasPg) h = await startAuthService('auth_api');
});
afterAll(() => h?.close());

const password = 'correct horse battery staple';

async function register(email: string, extra: Record<string, unknown> = {}, headers = {}) {
  return post(h.service, '/api/v1/auth/register', { email, password, ...extra }, headers);
}
async function login(email: string, pw = password) {
  return post(h.service, '/api/v1/auth/login', { email, password: pw });
}

describe.skipIf(!hasPg)('auth-service: accounts and sessions', () => {
  it('registers an account with role user and a tenant of its own', async () => {
    const res = await register('Ada@Example.com');
    expect(res.statusCode).toBe(201);
    const account = res.json().data;
    expect(account).toEqual({
      id: expect.any(String),
      email: 'ada@example.com',
      tenant: account.id,
      roles: ['user'],
    });
    expect(JSON.stringify(res.json())).not.toContain(password);
  });

  it('publishes user.registered through the outbox, without the password or its hash', async () => {
    const account = (await register('outbox@example.com', { tenant: 'acme' })).json().data;
    const { rows } = await h.db.sql.query<{
      topic: string;
      aggregate_id: string;
      event: Record<string, unknown>;
    }>(
      "SELECT topic, aggregate_id, event FROM outbox WHERE event->>'type' = 'user.registered' AND aggregate_id = $1",
      [account.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.topic).toBe('user.events');
    expect(rows[0]!.event).toMatchObject({ source: '/services/auth-service', subject: account.id });
    expect(rows[0]!.event.data).toEqual({
      id: account.id,
      email: 'outbox@example.com',
      tenant: 'acme',
      roles: ['user'],
    });
    const { rows: hashes } = await h.db.sql.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [account.id],
    );
    expect(hashes[0]!.password_hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/);
    expect(JSON.stringify(rows[0]!.event)).not.toContain(hashes[0]!.password_hash.split('$')[4]);
  });

  it('409 EMAIL_TAKEN for an email that exists, whatever its case', async () => {
    const res = await register('ADA@example.com');
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('EMAIL_TAKEN');
  });

  it('400 PASSWORD_POLICY names the broken rules: length, equal to the email, common', async () => {
    const short = await post(h.service, '/api/v1/auth/register', {
      email: 'p1@example.com',
      password: 'short',
    });
    expect(short.statusCode).toBe(400);
    expect(short.json().error).toMatchObject({
      code: 'PASSWORD_POLICY',
      details: { violations: ['too_short'], minLength: 12 },
    });
    const same = await post(h.service, '/api/v1/auth/register', {
      email: 'longlocalpart@example.com',
      password: 'LongLocalPart@example.com',
    });
    expect(same.json().error.details.violations).toEqual(['equals_email']);
    const common = await post(h.service, '/api/v1/auth/register', {
      email: 'p3@example.com',
      password: 'Password1234',
    });
    expect(common.json().error.details.violations).toEqual(['too_common']);
    expect((await login('p1@example.com', 'short')).statusCode).toBe(401);
  });

  it('400 VALIDATION_FAILED for a malformed email; a self-assigned role is ignored', async () => {
    const bad = await post(h.service, '/api/v1/auth/register', { email: 'not-an-email', password });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.fields[0].path).toBe('body/email');
    const extra = await register('extra@example.com', { roles: ['admin'] });
    expect(extra.json().data.roles).toEqual(['user']);
  });

  it('registering into an existing tenant needs an admin token: 403 TENANT_EXISTS otherwise', async () => {
    const res = await register('intruder@example.com', { tenant: 'acme' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('TENANT_EXISTS');
    const reserved = await register('intruder@example.com', { tenant: 'default' });
    expect(reserved.json().error.code).toBe('TENANT_EXISTS');
    const anonymousLogin = await login('intruder@example.com');
    expect(anonymousLogin.statusCode).toBe(401);
    const badToken = await register(
      'intruder@example.com',
      { tenant: 'acme' },
      { authorization: 'Bearer x.y.z' },
    );
    expect(badToken.statusCode).toBe(401);
  });

  it('logs in: an access token, a refresh token, expiresIn, Bearer; never cached', async () => {
    const res = await login('ada@example.com');
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({
      accessToken: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      expiresIn: 900,
      tokenType: 'Bearer',
    });
    expect(res.headers['cache-control']).toBe('no-store');
    const me = await h.service.app.inject({
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${res.json().data.accessToken}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json().data).toMatchObject({ email: 'ada@example.com', roles: ['user'], scopes: [] });
  });

  it('refresh tokens are stored hashed, never in clear', async () => {
    const { refreshToken } = (await login('ada@example.com')).json().data;
    const { rows } = await h.db.sql.query<{ token_hash: Buffer }>('SELECT token_hash FROM refresh_tokens');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.token_hash).toHaveLength(32);
    const dump = JSON.stringify((await h.db.sql.query('SELECT * FROM refresh_tokens')).rows);
    expect(dump).not.toContain(refreshToken);
  });

  it('401 INVALID_CREDENTIALS for a wrong password and for an unknown email alike', async () => {
    const wrong = await login('ada@example.com', 'not the password at all');
    const unknown = await login('nobody@example.com');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error).toEqual(unknown.json().error);
    expect(wrong.json().error.code).toBe('INVALID_CREDENTIALS');
  });

  it('refresh rotates: a new pair, and the old refresh token is spent', async () => {
    const first = (await login('ada@example.com')).json().data;
    const res = await post(h.service, '/api/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(res.statusCode).toBe(200);
    const second = res.json().data;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    const third = await post(h.service, '/api/v1/auth/refresh', { refreshToken: second.refreshToken });
    expect(third.statusCode).toBe(200);
  });

  it('reusing a spent refresh token revokes the whole family: REFRESH_TOKEN_REUSED, then the live one fails', async () => {
    const first = (await login('ada@example.com')).json().data;
    const other = (await login('ada@example.com')).json().data;
    const second = (
      await post(h.service, '/api/v1/auth/refresh', { refreshToken: first.refreshToken })
    ).json().data;
    const reuse = await post(h.service, '/api/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().error.code).toBe('REFRESH_TOKEN_REUSED');
    const live = await post(h.service, '/api/v1/auth/refresh', { refreshToken: second.refreshToken });
    expect(live.statusCode).toBe(401);
    expect(live.json().error.code).toBe('REFRESH_TOKEN_INVALID');
    // Another login (another family) is untouched.
    const unrelated = await post(h.service, '/api/v1/auth/refresh', { refreshToken: other.refreshToken });
    expect(unrelated.statusCode).toBe(200);
  });

  it('logout revokes the family (204), also for tokens already rotated in it; unknown tokens get 204 too', async () => {
    const first = (await login('ada@example.com')).json().data;
    const second = (
      await post(h.service, '/api/v1/auth/refresh', { refreshToken: first.refreshToken })
    ).json().data;
    const out = await post(h.service, '/api/v1/auth/logout', { refreshToken: first.refreshToken });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe('');
    const after = await post(h.service, '/api/v1/auth/refresh', { refreshToken: second.refreshToken });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('REFRESH_TOKEN_INVALID');
    const unknown = await post(h.service, '/api/v1/auth/logout', { refreshToken: 'never-issued' });
    expect(unknown.statusCode).toBe(204);
  });

  it('locks an account after AUTH_LOCKOUT_THRESHOLD failures (429 + Retry-After), and lets it in after the window', async () => {
    await register('lock@example.com');
    for (let i = 0; i < 3; i++)
      expect((await login('lock@example.com', 'wrong password!!')).statusCode).toBe(401);
    const locked = await login('lock@example.com');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('ACCOUNT_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(locked.json().error.details.retryAfterS).toBe(Number(locked.headers['retry-after']));
    // Other accounts are not affected.
    expect((await login('ada@example.com')).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1100)); // AUTH_LOCKOUT_S=1 in this test
    const after = await login('lock@example.com');
    expect(after.statusCode).toBe(200);
    // A success resets the count: two new failures do not lock.
    for (let i = 0; i < 2; i++) await login('lock@example.com', 'wrong password!!');
    expect((await login('lock@example.com')).statusCode).toBe(200);
  });

  it('expired refresh tokens are purged after a grace period; live ones stay', async () => {
    const live = (await login('ada@example.com')).json().data.refreshToken;
    const old = (await login('ada@example.com')).json().data.refreshToken;
    await h.db.sql.query(
      "UPDATE refresh_tokens SET expires_at = now() - interval '2 days' WHERE token_hash = $1",
      [hashRefreshToken(old)],
    );
    const db = drizzle(h.db.url);
    try {
      expect(await createPostgresRefreshTokenRepository(db).purgeExpired(86_400)).toBe(1);
    } finally {
      await db.$client.end();
    }
    expect((await post(h.service, '/api/v1/auth/refresh', { refreshToken: live })).statusCode).toBe(200);
    expect((await post(h.service, '/api/v1/auth/refresh', { refreshToken: old })).statusCode).toBe(401);
  });

  it('/auth/me needs a valid bearer token (401 UNAUTHENTICATED with WWW-Authenticate otherwise)', async () => {
    const none = await h.service.app.inject({ url: '/api/v1/auth/me' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('UNAUTHENTICATED');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const bad = await h.service.app.inject({
      url: '/api/v1/auth/me',
      headers: { authorization: 'Bearer abc.def.ghi' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
  });
});
