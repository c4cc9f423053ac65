import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service, type TenantScope, Type, tenantOf, tenantScope } from '../src/index.ts';
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

/** A tenant-scoped repository as the guide shows it: every query goes through a TenantScope. */
const notes = [
  { id: 'a1', tenant: 'tenant-a' },
  { id: 'a2', tenant: 'tenant-a' },
  { id: 'b1', tenant: 'tenant-b' },
];
function listNotes(scope: TenantScope) {
  return scope.kind === 'all' ? notes : notes.filter((n) => n.tenant === scope.tenant);
}

let key: SigningKey;
let jwks: JwksServer;
let service: Service;

beforeAll(async () => {
  key = await signingKey();
  jwks = await startJwksServer([key.publicJwk]);
  service = createService({ name: 'tenant-test', env: jwtEnv(jwks), logStream: logCapture().stream });
  service.version(1, (api) => {
    api.get('/notes', { config: { auth: 'required' } }, async (req) => ({
      scope: tenantScope(req),
      ids: listNotes(tenantScope(req)).map((n) => n.id),
    }));
    api.get('/all-notes', { config: { crossTenant: true } }, async (req) => ({
      scope: tenantScope(req),
      ids: listNotes(tenantScope(req)).map((n) => n.id),
    }));
    api.get(
      '/strict-query',
      {
        config: { crossTenant: true },
        schema: {
          querystring: Type.Object({ limit: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
        },
      },
      async (req) => tenantScope(req),
    );
    api.get('/tenant', { config: { auth: 'required' } }, async (req) => ({ tenant: tenantOf(req) }));
    api.get('/no-auth', async (req) => tenantOf(req));
  });
  await service.app.ready();
});

afterAll(async () => {
  await service.app.close();
  await jwks.close();
});

const user = (tenant: string) => accessToken(key, { roles: ['user'], tenant });
const admin = () => accessToken(key, { roles: ['admin'], tenant: 'default' });
const get = async (url: string, token?: string) =>
  service.app.inject({ url, headers: token ? bearer(token) : {} });

describe('tenantScope on an ordinary route', () => {
  it("gives a tenant-A principal tenant A, and only A's rows", async () => {
    const res = await get('/api/v1/notes', await user('tenant-a'));
    expect(res.json().data).toEqual({ scope: { kind: 'tenant', tenant: 'tenant-a' }, ids: ['a1', 'a2'] });
  });

  it('ignores ?tenant= (only crossTenant routes read it), even for an admin', async () => {
    const asUser = await get('/api/v1/notes?tenant=tenant-b', await user('tenant-a'));
    expect(asUser.json().data.ids).toEqual(['a1', 'a2']);
    const asAdmin = await get('/api/v1/notes?tenant=tenant-b', await admin());
    expect(asAdmin.json().data.scope).toEqual({ kind: 'tenant', tenant: 'default' });
  });

  it('403 TENANT_REQUIRED for a principal without tenant (a service token)', async () => {
    const token = await accessToken(key, { sub: 'service:x', roles: ['service'], tenant: undefined });
    const res = await get('/api/v1/notes', token);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('TENANT_REQUIRED');
  });
});

describe('tenantScope on a crossTenant route', () => {
  it('an admin without ?tenant= gets all tenants', async () => {
    const res = await get('/api/v1/all-notes', await admin());
    expect(res.json().data).toEqual({ scope: { kind: 'all' }, ids: ['a1', 'a2', 'b1'] });
  });

  it('an admin with ?tenant=tenant-b gets tenant B', async () => {
    const res = await get('/api/v1/all-notes?tenant=tenant-b', await admin());
    expect(res.json().data).toEqual({ scope: { kind: 'tenant', tenant: 'tenant-b' }, ids: ['b1'] });
  });

  it('a user gets their own tenant without ?tenant= or with their own', async () => {
    expect((await get('/api/v1/all-notes', await user('tenant-a'))).json().data.ids).toEqual(['a1', 'a2']);
    const own = await get('/api/v1/all-notes?tenant=tenant-a', await user('tenant-a'));
    expect(own.json().data.ids).toEqual(['a1', 'a2']);
  });

  it('a user asking for another tenant is denied (403 FORBIDDEN)', async () => {
    const res = await get('/api/v1/all-notes?tenant=tenant-b', await user('tenant-a'));
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'FORBIDDEN', details: { requiredRoles: ['admin'] } });
  });

  it('requires a token (crossTenant implies auth required)', async () => {
    expect((await get('/api/v1/all-notes')).statusCode).toBe(401);
  });

  it('keeps ?tenant= under a strict querystring schema, and documents it', async () => {
    const res = await get('/api/v1/strict-query?tenant=tenant-b&limit=2', await admin());
    expect(res.json().data).toEqual({ kind: 'tenant', tenant: 'tenant-b' });
    const doc = (await get('/openapi.json')).json();
    const params = doc.paths['/api/v1/all-notes'].get.parameters.map((p: { name: string; in: string }) => p);
    expect(params).toContainEqual(expect.objectContaining({ name: 'tenant', in: 'query' }));
  });
});

describe('tenantOf', () => {
  it("returns the caller's tenant", async () => {
    expect((await get('/api/v1/tenant', await user('tenant-b'))).json().data).toEqual({ tenant: 'tenant-b' });
  });

  it('401 on a route that did not authenticate the caller', async () => {
    const res = await get('/api/v1/no-auth', await user('tenant-a'));
    expect(res.statusCode).toBe(401);
  });
});
