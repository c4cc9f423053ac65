import { randomUUID } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import {
  base64url,
  type CryptoKey,
  createLocalJWKSet,
  exportSPKI,
  importJWK,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, isOutrigError, type Principal, type Service } from '../src/index.ts';
import {
  AUDIENCE,
  accessToken,
  bearer,
  ISSUER,
  type JwksServer,
  jwtEnv,
  type SigningKey,
  signingKey,
  startJwksServer,
} from './auth-fixtures.ts';
import { logCapture } from './helpers.ts';

let key: SigningKey;
let jwks: JwksServer;
let service: Service;
const logs = logCapture();

/** What the /me route answers: the principal as a handler sees it. */
function describePrincipal(p: Principal | undefined, rawHeader: string | undefined) {
  if (!p) return { anonymous: true };
  return {
    subject: p.subject,
    roles: p.roles,
    scopes: p.scopes,
    tenant: p.tenant ?? null,
    jti: p.claims.jti,
    tokenIsTheBearer: rawHeader === `Bearer ${p.token}`,
    tokenEnumerable: Object.keys(p).includes('token'),
    serialised: JSON.stringify(p).includes(p.token),
  };
}

beforeAll(async () => {
  key = await signingKey();
  jwks = await startJwksServer([key.publicJwk]);
  service = createService({
    name: 'auth-test',
    env: jwtEnv(jwks, { LOG_LEVEL: 'debug' }),
    logStream: logs.stream,
  });
  service.version(1, (api) => {
    api.get('/me', { config: { auth: 'required' } }, async (req) =>
      describePrincipal(req.principal, req.headers.authorization),
    );
    api.get('/maybe', { config: { auth: 'optional' } }, async (req) =>
      describePrincipal(req.principal, req.headers.authorization),
    );
    api.get('/public', async (req) => ({ principal: req.principal ?? null }));
    api.get('/admin', { config: { roles: ['admin', 'ops'] } }, async () => ({ ok: true }));
    api.get('/scoped', { config: { scopes: ['products:read', 'products:write'] } }, async () => ({
      ok: true,
    }));
  });
  await service.app.ready();
});

afterAll(async () => {
  await service.app.close();
  await jwks.close();
});

const get = (url: string, headers: Record<string, string> = {}) => service.app.inject({ url, headers });

describe('a valid token', () => {
  it('puts the principal on the request with every contract field', async () => {
    const sub = randomUUID();
    const jti = randomUUID();
    const token = await accessToken(key, {
      sub,
      jti,
      roles: ['user', 'editor'],
      scope: 'products:read orders:write',
      tenant: 'tenant-a',
    });
    const res = await get('/api/v1/me', bearer(token));
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({
      subject: sub,
      roles: ['user', 'editor'],
      scopes: ['products:read', 'orders:write'],
      tenant: 'tenant-a',
      jti,
      tokenIsTheBearer: true,
      tokenEnumerable: false,
      serialised: false,
    });
  });

  it('accepts the scheme in any case and a service token without tenant or scope', async () => {
    const token = await accessToken(key, {
      sub: 'service:order-service',
      roles: ['service'],
      tenant: undefined,
    });
    const res = await get('/api/v1/me', { authorization: `bEaReR ${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ subject: 'service:order-service', tenant: null, scopes: [] });
  });

  it('is accepted within the clock tolerance (5 s) after exp and before nbf', async () => {
    const now = Math.floor(Date.now() / 1000);
    const justExpired = await accessToken(key, { iat: now - 900, nbf: now - 900, exp: now - 2 });
    const almostValid = await accessToken(key, { iat: now + 2, nbf: now + 2, exp: now + 900 });
    expect((await get('/api/v1/me', bearer(justExpired))).statusCode).toBe(200);
    expect((await get('/api/v1/me', bearer(almostValid))).statusCode).toBe(200);
  });
});

describe('the attack set: each answers 401 UNAUTHENTICATED in the envelope', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: randomUUID(),
    iat: now(),
    nbf: now(),
    exp: now() + 900,
    roles: ['admin'],
    tenant: 'tenant-a',
  });

  const cases: [string, () => Promise<Record<string, string>>][] = [
    ['no Authorization header', async () => ({})],
    ['alg: none', async () => bearer(new UnsecuredJWT(claims()).encode())],
    [
      'alg: none with the real kid and typ',
      async () => {
        const header = base64url.encode(JSON.stringify({ alg: 'none', kid: key.kid, typ: 'at+jwt' }));
        return bearer(`${header}.${base64url.encode(JSON.stringify(claims()))}.`);
      },
    ],
    [
      'HS256 signed with the public JWK bytes (algorithm confusion)',
      async () => {
        const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
        return bearer(
          await new SignJWT(claims())
            .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
            .sign(secret),
        );
      },
    ],
    [
      'HS256 signed with the public key PEM (algorithm confusion)',
      async () => {
        const pem = await exportSPKI(
          (await importJWK(key.publicJwk, 'ES256', { extractable: true })) as CryptoKey,
        );
        const secret = new TextEncoder().encode(pem);
        return bearer(
          await new SignJWT(claims())
            .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
            .sign(secret),
        );
      },
    ],
    [
      'expired',
      async () => bearer(await accessToken(key, { iat: now() - 1000, nbf: now() - 1000, exp: now() - 60 })),
    ],
    ['not yet valid (nbf)', async () => bearer(await accessToken(key, { nbf: now() + 60 }))],
    ['wrong iss', async () => bearer(await accessToken(key, { iss: 'http://evil.example' }))],
    ['wrong aud', async () => bearer(await accessToken(key, { aud: 'another-system' }))],
    [
      'tampered payload (roles: admin)',
      async () => {
        const [h, p, s] = (await accessToken(key, { roles: ['user'] })).split('.') as [
          string,
          string,
          string,
        ];
        const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
        const forged = base64url.encode(JSON.stringify({ ...payload, roles: ['admin'] }));
        return bearer(`${h}.${forged}.${s}`);
      },
    ],
    ['unknown kid', async () => bearer(await accessToken(await signingKey()))],
    [
      'another key pair claiming the known kid',
      async () => bearer(await accessToken(await signingKey(key.kid))),
    ],
    ['wrong typ (an ID token)', async () => bearer(await accessToken(key, {}, { typ: 'JWT' }))],
    ['no exp', async () => bearer(await accessToken(key, { exp: undefined }))],
    ['no sub', async () => bearer(await accessToken(key, { sub: undefined }))],
    ['malformed: one segment', async () => bearer('garbage')],
    ['malformed: three garbage segments', async () => bearer('aaaa.bbbb.cccc')],
    ['malformed: characters a token cannot hold', async () => ({ authorization: 'Bearer {"alg":"none"}' })],
    ['missing bearer scheme: Token', async () => ({ authorization: `Token ${await accessToken(key)}` })],
    ['missing bearer scheme: Basic', async () => ({ authorization: 'Basic dXNlcjpwYXNzd29yZA==' })],
    ['missing bearer scheme: raw token', async () => ({ authorization: await accessToken(key) })],
    ['empty bearer', async () => ({ authorization: 'Bearer ' })],
    ['bearer without a space', async () => ({ authorization: 'Bearer' })],
  ];

  it.each(cases)('%s', async (_name, headers) => {
    const h = await headers();
    const res = await get('/api/v1/me', h);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="auth-test"/);
    const sentToken = h.authorization?.toLowerCase().startsWith('bearer') ?? false;
    if (sentToken) expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('never writes a token to the logs (debug level, rejected and accepted ones)', async () => {
    const good = await accessToken(key);
    const expired = await accessToken(key, { exp: now() - 60, nbf: now() - 100, iat: now() - 100 });
    await get('/api/v1/me', bearer(good));
    await get('/api/v1/me', bearer(expired));
    const text = JSON.stringify(logs.lines());
    expect(text).toContain('bearer token rejected');
    for (const token of [good, expired]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split('.')[2]);
    }
  });
});

describe('authorization', () => {
  it('403 FORBIDDEN for a valid token lacking the role, naming the roles', async () => {
    const res = await get('/api/v1/admin', bearer(await accessToken(key, { roles: ['user'] })));
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({
      code: 'FORBIDDEN',
      details: { requiredRoles: ['admin', 'ops'] },
    });
  });

  it('200 with any one of the roles', async () => {
    const res = await get('/api/v1/admin', bearer(await accessToken(key, { roles: ['user', 'ops'] })));
    expect(res.statusCode).toBe(200);
  });

  it('403 for a token lacking one scope, with insufficient_scope', async () => {
    const res = await get('/api/v1/scoped', bearer(await accessToken(key, { scope: 'products:read' })));
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({
      code: 'FORBIDDEN',
      details: { requiredScopes: ['products:read', 'products:write'], missingScopes: ['products:write'] },
    });
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    const none = await get('/api/v1/scoped', bearer(await accessToken(key)));
    expect(none.json().error.details.missingScopes).toEqual(['products:read', 'products:write']);
  });

  it('200 with every scope', async () => {
    const token = await accessToken(key, { scope: 'products:write openid products:read' });
    expect((await get('/api/v1/scoped', bearer(token))).statusCode).toBe(200);
  });

  it('protects the HEAD route Fastify adds for a GET', async () => {
    const res = await service.app.inject({ method: 'HEAD', url: '/api/v1/admin' });
    expect(res.statusCode).toBe(401);
    const user = await service.app.inject({
      method: 'HEAD',
      url: '/api/v1/admin',
      headers: bearer(await accessToken(key, { roles: ['user'] })),
    });
    expect(user.statusCode).toBe(403);
  });

  it('401, not 403, for a missing token on a route with roles', async () => {
    const res = await get('/api/v1/admin');
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
  });
});

describe('optional and public routes', () => {
  it('optional: anonymous without a token, the principal with one', async () => {
    expect((await get('/api/v1/maybe')).json().data).toEqual({ anonymous: true });
    const sub = randomUUID();
    const res = await get('/api/v1/maybe', bearer(await accessToken(key, { sub })));
    expect(res.json().data.subject).toBe(sub);
    // Another scheme is not a bearer credential: anonymous.
    expect((await get('/api/v1/maybe', { authorization: 'Basic dTpw' })).json().data).toEqual({
      anonymous: true,
    });
  });

  it('optional: an invalid token is still 401 (never silently anonymous)', async () => {
    const expired = await accessToken(key, { exp: 1, nbf: 0, iat: 0 });
    const res = await get('/api/v1/maybe', bearer(expired));
    expect(res.statusCode).toBe(401);
  });

  it('a route without a declaration ignores the header entirely', async () => {
    const res = await get('/api/v1/public', bearer('garbage'));
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ principal: null });
  });
});

describe('OpenAPI', () => {
  it('documents the bearer scheme, per-route security and the 401/403 answers', async () => {
    const doc = (await get('/openapi.json')).json();
    expect(doc.components.securitySchemes.bearerAuth).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    const me = doc.paths['/api/v1/me'].get;
    expect(me.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(me.responses)).toContain('401');
    expect(Object.keys(me.responses)).not.toContain('403');
    expect(Object.keys(doc.paths['/api/v1/admin'].get.responses)).toEqual(
      expect.arrayContaining(['401', '403']),
    );
    expect(doc.paths['/api/v1/maybe'].get.security).toEqual([{}, { bearerAuth: [] }]);
    expect(doc.paths['/api/v1/public'].get.security).toBeUndefined();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
  });
});

describe('a service without a key source', () => {
  it('fails at start naming JWT_JWKS_URL when a route declares auth', async () => {
    const s = createService({ name: 'no-jwks', env: {}, logStream: logCapture().stream });
    s.version(1, (api) => {
      api.get('/open', async () => ({}));
      api.get('/mine', { config: { auth: 'required' } }, async () => ({}));
    });
    const err = await s.app.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isOutrigError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('JWT_JWKS_URL');
    expect((err as Error).message).toContain('GET /api/v1/mine');
    await s.app.close();
  });

  it('fails in createService naming JWT_JWKS_URL when auth.default needs tokens', () => {
    expect(() => createService({ name: 'x', env: {}, auth: { default: 'required' } })).toThrow(
      /JWT_JWKS_URL/,
    );
  });

  it('fails in createService naming JWT_ISSUER and JWT_AUDIENCE when only the URL is set', () => {
    let err: unknown;
    try {
      createService({ name: 'x', env: { JWT_JWKS_URL: jwks.url } });
    } catch (e) {
      err = e;
    }
    expect(isOutrigError(err, 'CONFIG_INVALID')).toBe(true);
    const variables = ((err as { details: { problems: { variable: string }[] } }).details.problems ?? []).map(
      (p) => p.variable,
    );
    expect(variables).toEqual(['JWT_ISSUER', 'JWT_AUDIENCE']);
  });

  it('has no bearer scheme in OpenAPI and serves public routes', async () => {
    const s = createService({ name: 'public-only', env: {}, logStream: logCapture().stream });
    s.version(1, (api) => {
      api.get('/open', async () => ({ ok: true }));
    });
    expect((await s.app.inject({ url: '/api/v1/open' })).statusCode).toBe(200);
    const doc = (await s.app.inject({ url: '/openapi.json' })).json();
    expect(doc.components?.securitySchemes).toBeUndefined();
    await s.app.close();
  });
});

describe('declarations are checked at start', () => {
  const build = async (config: Record<string, unknown>, auth?: Parameters<typeof createService>[0]) => {
    const s = createService({ name: 'decl', env: jwtEnv(jwks), logStream: logCapture().stream, ...auth });
    s.version(1, (api) => {
      api.get('/x', { config }, async () => ({}));
    });
    try {
      await s.app.ready();
      return undefined;
    } catch (err) {
      return err;
    } finally {
      await s.app.close();
    }
  };

  it.each([
    ['roles with auth optional', { auth: 'optional', roles: ['admin'] }],
    ['scopes with auth none', { auth: 'none', scopes: ['a'] }],
    ['empty roles', { roles: [] }],
    ['an unknown auth mode', { auth: 'maybe' }],
  ])('%s → SERVICE_OPTIONS_INVALID', async (_name, config) => {
    expect(isOutrigError(await build(config), 'SERVICE_OPTIONS_INVALID')).toBe(true);
  });

  it('rejects symmetric algorithms in the allow-list', () => {
    expect(() =>
      createService({
        name: 'x',
        env: jwtEnv(jwks),
        auth: { algorithms: ['HS256' as never] },
      }),
    ).toThrow(/algorithms/);
  });
});

describe("auth.default: 'required'", () => {
  let s: Service;
  beforeAll(async () => {
    s = createService({
      name: 'locked',
      env: jwtEnv(jwks),
      logStream: logCapture().stream,
      auth: { default: 'required' },
    });
    s.version(1, (api) => {
      api.get('/things', async () => ({ ok: true }));
      api.get('/open', { config: { auth: 'none' } }, async () => ({ ok: true }));
    });
    await s.app.ready();
  });
  afterAll(() => s.app.close());

  it('protects undeclared routes and leaves auth: none and the kit routes public', async () => {
    expect((await s.app.inject({ url: '/api/v1/things' })).statusCode).toBe(401);
    expect(
      (await s.app.inject({ url: '/api/v1/things', headers: bearer(await accessToken(key)) })).statusCode,
    ).toBe(200);
    expect((await s.app.inject({ url: '/api/v1/open' })).statusCode).toBe(200);
    for (const url of ['/health', '/ready', '/metrics', '/openapi.json', '/api/versions']) {
      expect((await s.app.inject({ url })).statusCode, url).toBe(200);
    }
    // The unversioned fallback still redirects without a token.
    expect((await s.app.inject({ url: '/api/things' })).statusCode).toBe(307);
  });
});

describe('auth.keys', () => {
  it('verifies with a given key set instead of JWT_JWKS_URL', async () => {
    const s = createService({
      name: 'local-keys',
      env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
      logStream: logCapture().stream,
      auth: { keys: createLocalJWKSet({ keys: [key.publicJwk] }) },
    });
    s.version(1, (api) => {
      api.get('/me', { config: { auth: 'required' } }, async (req) => ({ sub: req.principal?.subject }));
    });
    const ok = await s.app.inject({
      url: '/api/v1/me',
      headers: bearer(await accessToken(key, { sub: 'k' })),
    });
    expect(ok.json().data).toEqual({ sub: 'k' });
    const other = await s.app.inject({
      url: '/api/v1/me',
      headers: bearer(await accessToken(await signingKey())),
    });
    expect(other.statusCode).toBe(401);
    await s.app.close();
  });
});

describe('JWKS unreachable', () => {
  it('answers 503 AUTH_KEYS_UNAVAILABLE (retryable), not 401: the token may be fine', async () => {
    const down = await startJwksServer([]);
    await down.close();
    const s = createService({ name: 'keys-down', env: jwtEnv(down), logStream: logCapture().stream });
    s.version(1, (api) => {
      api.get('/me', { config: { auth: 'required' } }, async () => ({}));
    });
    const res = await s.app.inject({ url: '/api/v1/me', headers: bearer(await accessToken(key)) });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('AUTH_KEYS_UNAVAILABLE');
    await s.app.close();
  });
});
