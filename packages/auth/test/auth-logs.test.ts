import { serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSigningKeys } from '../src/keys/rotate-signing-keys.ts';
import { type AuthHarness, CLIENT, post, startAuthService } from './harness.ts';

const hasPg = await serverAvailable('postgres');
const ADMIN = { email: 'admin@logs.test', password: 'admin-password-for-logs' };
let h: AuthHarness;
beforeAll(async () => {
  if (hasPg) {
    h = await startAuthService('auth_logs', {
      LOG_LEVEL: 'trace',
      AUTH_ADMIN_EMAIL: ADMIN.email,
      AUTH_ADMIN_PASSWORD: ADMIN.password,
    });
  }
});
afterAll(() => h?.close());

describe.skipIf(!hasPg)('auth-service logs', () => {
  it('never contain a password, token, client secret, password hash or private key during every auth flow', async () => {
    const password = 'my secret password 42';
    const wrong = 'definitely-wrong-password';
    const secrets: string[] = [password, wrong, ADMIN.password, CLIENT.secret, 'wrong-client-secret-xyz'];
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

    await post(h.service, '/api/v1/auth/register', { email: 'log@example.com', password });
    await post(h.service, '/api/v1/auth/register', { email: 'weak@example.com', password: 'tooshort' });
    secrets.push('tooshort');
    for (let i = 0; i < 4; i++)
      await post(h.service, '/api/v1/auth/login', { email: 'log@example.com', password: wrong });
    await post(h.service, '/api/v1/auth/login', { email: 'ghost@example.com', password: wrong });
    await new Promise((r) => setTimeout(r, 1100)); // the lockout window of the harness (1 s)
    const login = (await post(h.service, '/api/v1/auth/login', { email: 'log@example.com', password })).json()
      .data;
    secrets.push(login.accessToken, login.refreshToken);
    const admin = (
      await post(h.service, '/api/v1/auth/login', { email: ADMIN.email, password: ADMIN.password })
    ).json().data;
    secrets.push(admin.accessToken, admin.refreshToken);
    await post(
      h.service,
      '/api/v1/auth/register',
      { email: 'joined@example.com', password, tenant: 'default' },
      bearer(admin.accessToken),
    );
    await h.service.app.inject({ url: '/api/v1/auth/me', headers: bearer(login.accessToken) });
    await h.service.app.inject({ url: '/api/v1/auth/me', headers: bearer(`${login.accessToken}x`) });
    const refreshed = (
      await post(h.service, '/api/v1/auth/refresh', { refreshToken: login.refreshToken })
    ).json().data;
    secrets.push(refreshed.accessToken, refreshed.refreshToken);
    await post(h.service, '/api/v1/auth/refresh', { refreshToken: login.refreshToken }); // reuse
    await post(h.service, '/api/v1/auth/logout', { refreshToken: admin.refreshToken });
    await rotateSigningKeys(h.db.sql);
    const service = (
      await post(h.service, '/api/v1/auth/token', {
        grant_type: 'client_credentials',
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
      })
    ).json().data;
    secrets.push(service.accessToken);
    await post(h.service, '/api/v1/auth/token', {
      grant_type: 'client_credentials',
      client_id: CLIENT.id,
      client_secret: 'wrong-client-secret-xyz',
    });
    await h.service.app.inject({ url: '/.well-known/jwks.json' });

    const { rows: keys } = await h.db.sql.query<{ private_jwk: { d: string } }>(
      'SELECT private_jwk FROM signing_keys',
    );
    const { rows: users } = await h.db.sql.query<{ password_hash: string }>(
      'SELECT password_hash FROM users',
    );
    secrets.push(
      ...keys.map((k) => k.private_jwk.d),
      ...users.map((u) => u.password_hash.split('$').at(-1)!),
    );
    // Signatures alone (the part after the last dot) would be enough to replay nothing, but must not leak either.
    secrets.push(...secrets.filter((s) => s.split('.').length === 3).map((t) => t.split('.')[2]!));

    const log = h.logs.join('\n');
    expect(h.logs.length).toBeGreaterThan(20); // trace level: every request was logged
    expect(log).toContain('login failed');
    expect(log).toContain('refresh token reused');
    expect(log).toContain('development only');
    for (const secret of secrets)
      expect(log.includes(secret), `a secret of ${secret.length} chars leaked`).toBe(false);
  });
});
