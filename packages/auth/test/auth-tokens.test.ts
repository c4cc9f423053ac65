import { serverAvailable } from '@outrig/testing';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSigningKeys } from '../src/keys/rotate-signing-keys.ts';
import { type AuthHarness, CLIENT, post, startAuthService } from './harness.ts';

const hasPg = await serverAvailable('postgres');
const ADMIN = { email: 'root@shop.test', password: 'root-password-for-tests' };
let h: AuthHarness;
beforeAll(async () => {
  if (hasPg) {
    h = await startAuthService('auth_tokens', {
      AUTH_ADMIN_EMAIL: ADMIN.email,
      AUTH_ADMIN_PASSWORD: ADMIN.password,
      JWT_ISSUER: 'http://auth.test',
      JWT_AUDIENCE: 'shop-test',
    });
  }
});
afterAll(() => h?.close());

const password = 'a long enough password';
const verifyOptions = { issuer: 'http://auth.test', audience: 'shop-test', algorithms: ['ES256'] };

async function jwks(): Promise<{ body: JSONWebKeySet; headers: Record<string, unknown> }> {
  const res = await h.service.app.inject({ url: '/.well-known/jwks.json' });
  expect(res.statusCode).toBe(200);
  return { body: res.json(), headers: res.headers };
}
async function loginAs(email: string, pw = password): Promise<string> {
  const res = await post(h.service, '/api/v1/auth/login', { email, password: pw });
  expect(res.statusCode).toBe(200);
  return res.json().data.accessToken;
}

describe.skipIf(!hasPg)('auth-service: tokens, JWKS, rotation, service tokens', () => {
  it('JWKS: ES256 public keys only, not enveloped, cacheable for 5 minutes', async () => {
    const { body, headers } = await jwks();
    expect(headers['cache-control']).toBe('public, max-age=300');
    expect(body.keys).toHaveLength(1);
    const [key] = body.keys;
    expect(Object.keys(key!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key).not.toHaveProperty('d');
  });

  it('user tokens verify against the JWKS with iss/aud and carry the contract claims', async () => {
    await post(h.service, '/api/v1/auth/register', { email: 'grace@example.com', password, tenant: 'navy' });
    const token = await loginAs('grace@example.com');
    const { body } = await jwks();
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(body), verifyOptions);
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: body.keys[0]!.kid, typ: 'at+jwt' });
    expect(payload).toEqual({
      iss: 'http://auth.test',
      aud: 'shop-test',
      sub: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: expect.any(Number),
      nbf: payload.iat,
      exp: payload.iat! + 900,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      roles: ['user'],
      tenant: 'navy',
      email: 'grace@example.com',
    });
    await expect(
      jwtVerify(token, createLocalJWKSet(body), { ...verifyOptions, audience: 'someone-else' }),
    ).rejects.toThrow();
  });

  it('seeds the admin from AUTH_ADMIN_EMAIL/AUTH_ADMIN_PASSWORD in tenant default, once', async () => {
    const token = await loginAs(ADMIN.email, ADMIN.password);
    const { payload } = await jwtVerify(token, createLocalJWKSet((await jwks()).body), verifyOptions);
    expect(payload).toMatchObject({ roles: ['admin'], tenant: 'default', email: ADMIN.email });
    const { rows } = await h.db.sql.query('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
    expect(rows).toHaveLength(1);
  });

  it('an admin token may add an account to an existing tenant', async () => {
    const admin = await loginAs(ADMIN.email, ADMIN.password);
    const res = await post(
      h.service,
      '/api/v1/auth/register',
      { email: 'sailor@example.com', password, tenant: 'navy' },
      { authorization: `Bearer ${admin}` },
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().data).toMatchObject({ tenant: 'navy', roles: ['user'] });
    const user = await loginAs('grace@example.com');
    const denied = await post(
      h.service,
      '/api/v1/auth/register',
      { email: 'friend@example.com', password, tenant: 'navy' },
      { authorization: `Bearer ${user}` },
    );
    expect(denied.json().error.code).toBe('TENANT_EXISTS');
  });

  it('rotation publishes the new key at once but signs with it only after the activation delay', async () => {
    const oldKid = decodeProtectedHeader(await loginAs('grace@example.com')).kid;
    const rotated = await rotateSigningKeys(h.db.sql);
    expect(rotated.retired).toEqual([oldKid]);
    expect((await jwks()).body.keys.map((k) => k.kid)).toEqual([oldKid, rotated.kid]);
    expect(decodeProtectedHeader(await loginAs('grace@example.com')).kid).toBe(oldKid);
    // 360 s pass.
    await h.db.sql.query(
      `UPDATE signing_keys SET activates_at = activates_at - interval '361 s',
         retired_at = retired_at - interval '361 s', expires_at = expires_at - interval '361 s'`,
    );
    expect(decodeProtectedHeader(await loginAs('grace@example.com')).kid).toBe(rotated.kid);
    expect((await jwks()).body.keys.map((k) => k.kid)).toEqual([rotated.kid, oldKid]);
  });

  it('rotation --now: new tokens get a new kid, the JWKS lists both (new first), old tokens still verify', async () => {
    const before = await loginAs('grace@example.com');
    const oldKid = decodeProtectedHeader(before).kid;
    const rotated = await rotateSigningKeys(h.db.sql, { activateInS: 0 });
    expect(rotated.retired).toEqual([oldKid]);
    const after = await loginAs('grace@example.com');
    expect(decodeProtectedHeader(after).kid).toBe(rotated.kid);
    expect(rotated.kid).not.toBe(oldKid);
    const { body } = await jwks();
    expect(body.keys.map((k) => k.kid).slice(0, 2)).toEqual([rotated.kid, oldKid]);
    const set = createLocalJWKSet(body);
    await expect(jwtVerify(before, set, verifyOptions)).resolves.toBeTruthy();
    await expect(jwtVerify(after, set, verifyOptions)).resolves.toBeTruthy();
    const me = await h.service.app.inject({
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${before}` },
    });
    expect(me.statusCode).toBe(200);
  });

  it('a retired key leaves the JWKS once its retention has passed, and is deleted at the next rotation', async () => {
    const kids = (await jwks()).body.keys.map((k) => k.kid!);
    expect(kids.length).toBe(3); // current, the one it replaced, and the one before
    const current = kids[0]!;
    // A day passes: every retired key is past its retention (retired_at + TTL + margin, expires_at).
    await h.db.sql.query(
      "UPDATE signing_keys SET retired_at = retired_at - interval '1 day', expires_at = expires_at - interval '1 day' WHERE kid <> $1",
      [current],
    );
    const { body } = await jwks();
    expect(body.keys.map((k) => k.kid)).toEqual([current]);
    const next = await rotateSigningKeys(h.db.sql);
    expect([...next.deleted].sort()).toEqual(kids.slice(1).sort());
    expect(next.retired).toEqual([current]);
    const { rows } = await h.db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM signing_keys');
    expect(rows[0]!.n).toBe(2);
  });

  it('client-credentials grant: a service token with sub service:<id>, role service, scopes, no tenant', async () => {
    const res = await post(h.service, '/api/v1/auth/token', {
      grant_type: 'client_credentials',
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ accessToken: expect.any(String), expiresIn: 900, tokenType: 'Bearer' });
    const { payload } = await jwtVerify(
      res.json().data.accessToken,
      createLocalJWKSet((await jwks()).body),
      verifyOptions,
    );
    expect(payload).toMatchObject({
      sub: 'service:orders',
      roles: ['service'],
      scope: 'orders.read orders.write',
    });
    expect(payload).not.toHaveProperty('tenant');
    expect(payload).not.toHaveProperty('email');
  });

  it('client-credentials grant also takes a form-encoded body (RFC 6749)', async () => {
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
      }).toString(),
    });
    expect(res.statusCode).toBe(200);
  });

  it('client-credentials grant: 401 CLIENT_CREDENTIALS_INVALID for a wrong secret or an unknown client', async () => {
    for (const [id, secret] of [
      [CLIENT.id, `${CLIENT.secret}x`],
      ['nobody', CLIENT.secret],
    ]) {
      const res = await post(h.service, '/api/v1/auth/token', {
        grant_type: 'client_credentials',
        client_id: id,
        client_secret: secret,
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('CLIENT_CREDENTIALS_INVALID');
    }
    const grant = await post(h.service, '/api/v1/auth/token', {
      grant_type: 'password',
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
    });
    expect(grant.statusCode).toBe(400);
  });

  it('documents every route in /openapi.json; /auth/me with the bearer scheme', async () => {
    const doc = (await h.service.app.inject({ url: '/openapi.json' })).json();
    for (const path of ['register', 'login', 'refresh', 'logout', 'token', 'me']) {
      expect(Object.keys(doc.paths)).toContain(`/api/v1/auth/${path}`);
    }
    expect(Object.keys(doc.paths)).toContain('/.well-known/jwks.json');
    expect(doc.paths['/api/v1/auth/me'].get.security).toEqual([{ bearerAuth: [] }]);
  });
});
