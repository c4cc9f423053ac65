import { TS } from './ts-extension.ts';

/** What the auth service templates need. */
export interface AuthContext {
  /** The system's name: the tokens' audience is `outrig-<system>`, as `outrig dev` sets it. */
  readonly system: string;
  /** `@acme/auth-service` */
  readonly packageName: string;
  readonly port: number;
  readonly dependencies: Readonly<Record<string, string>>;
}

/** The variables that seed the development admin (the defaults of @outrig/auth). */
export const ADMIN_ENV = { email: 'AUTH_ADMIN_EMAIL', password: 'AUTH_ADMIN_PASSWORD' } as const;

/** The development admin `outrig dev` seeds on the embedded database (outrig.json `embeddedEnv`). */
export function devAdmin(system: string): Record<string, string> {
  return {
    [ADMIN_ENV.email]: `admin@${system}.local`,
    [ADMIN_ENV.password]: `${system}-admin-dev-password`,
  };
}

/** The auth service: @outrig/auth with the system's settings, a few lines each. */
export function authServiceFiles(ctx: AuthContext): Record<string, string> {
  const admin = devAdmin(ctx.system);
  return {
    'package.json': `${JSON.stringify(
      {
        name: ctx.packageName,
        version: '0.1.0',
        private: true,
        type: 'module',
        scripts: { start: 'node --import @outrig/core/telemetry src/main.ts' },
        dependencies: ctx.dependencies,
      },
      null,
      2,
    )}\n`,
    'README.md': `# auth-service

Port ${ctx.port}. Accounts (scrypt), login with ES256 access tokens and rotating refresh tokens, the
client-credentials grant for services, and the JWKS (\`/.well-known/jwks.json\`) every other service
and the gateway verify tokens with: [@outrig/auth](https://github.com/outrig/outrig/tree/main/packages/auth)
with this system's settings (\`src/config.ts\`). Its own database holds accounts, refresh-token
hashes and signing keys; \`user.registered\` goes through the outbox.

| route (through the gateway) | what |
|---|---|
| \`POST /api/v1/auth/register\` | \`{email, password}\`: a new account (role \`user\`, a tenant of its own) |
| \`POST /api/v1/auth/login\` | \`{email, password}\`: \`{accessToken, refreshToken, expiresIn}\` |
| \`POST /api/v1/auth/refresh\`, \`/logout\` | \`{refreshToken}\` |
| \`GET /api/v1/auth/me\` | who the bearer token says you are |

Every other service of the system requires \`authorization: Bearer <accessToken>\` on its API
(\`auth: { default: 'required' }\` in its \`src/service.ts\`); the gateway checks the token first.

On the embedded defaults \`npm start\` seeds a **development admin** (outrig.json \`embeddedEnv\`):
\`${admin[ADMIN_ENV.email]}\` / \`${admin[ADMIN_ENV.password]}\` (\`${ADMIN_ENV.email}\`,
\`${ADMIN_ENV.password}\`). Development only: never set these in production.
`,
    'src/main.ts': `import { runService } from '@outrig/core';
import { createAuthService } from './service${TS}';

await runService(() => createAuthService());
`,
    'src/config.ts': `import { type AuthServiceOptions, authServiceConfig } from '@outrig/auth';

/** What makes @outrig/auth this system's auth service. */
export const AUTH = {
  name: 'auth-service',
  port: ${ctx.port},
  audience: 'outrig-${ctx.system}',
} as const satisfies AuthServiceOptions;

/** The config schema, for \`outrig doctor\` (which validates it without starting the service). */
export const config = authServiceConfig(AUTH);
`,
    'src/migrations.ts': `import { authMigrations } from '@outrig/auth';

/** What \`outrig db migrate|status|reset auth-service\` applies. */
export const migrations = authMigrations;
`,
    'src/service.ts': `import {
  type AuthServiceConfig,
  type AuthServiceOptions,
  createAuthService as createOutrigAuthService,
} from '@outrig/auth';
import type { Service } from '@outrig/core';
import { AUTH } from './config${TS}';

/**
 * auth-service: issues the system's tokens (register, login, refresh, client credentials) and
 * publishes their keys (JWKS). Registers in the service registry (REGISTRY_URL) once listening.
 */
export function createAuthService(
  options: Pick<AuthServiceOptions, 'env' | 'logStream' | 'scrypt' | 'storage'> = {},
): Promise<Service<AuthServiceConfig>> {
  return createOutrigAuthService({ ...AUTH, ...options });
}
`,
    'test/auth-api.test.ts': `import { createMemoryAuthStorage } from '@outrig/auth';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthService } from '../src/service${TS}';

// Accounts and keys in memory: the HTTP contract without a database (scrypt made cheap for tests).
const service = await createAuthService({
  env: { LOG_LEVEL: 'silent' },
  storage: createMemoryAuthStorage(),
  scrypt: { ln: 10, r: 8, p: 1 },
});
afterAll(() => service.app.close());

describe('auth-service', () => {
  it('registers an account, logs it in, and knows the caller by its token', async () => {
    const user = { email: 'ada@example.com', password: 'correct horse battery staple' };
    const registered = await service.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: user });
    expect(registered.statusCode).toBe(201);
    const login = await service.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: user });
    const { accessToken } = login.json().data;
    const me = await service.app.inject({
      url: '/api/v1/auth/me',
      headers: { authorization: \`Bearer \${accessToken}\` },
    });
    expect(me.json().data).toMatchObject({ email: user.email, roles: ['user'] });
    const wrong = await service.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { ...user, password: 'not the right password' },
    });
    expect(wrong.json().error.code).toBe('INVALID_CREDENTIALS');
    const jwks = await service.app.inject({ url: '/.well-known/jwks.json' });
    expect(jwks.json().keys).toHaveLength(1);
  });
});
`,
  };
}

/** What the end-to-end test through the gateway needs. */
export interface AuthFlowContext {
  readonly system: string;
  /** The first service: its folder name, factory, and the URL segment of its first resource. */
  readonly service: { name: string; factory: string; plural: string };
}

/**
 * services/auth-service/test/through-gateway.test.ts: auth-service, the first service and the
 * gateway on free ports, as \`npm start\` wires them; register, log in, call a protected route.
 */
export function authFlowTestFile(ctx: AuthFlowContext): string {
  const s = ctx.service;
  return `import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryAuthStorage } from '@outrig/auth';
import { eventually } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemGateway } from '../../gateway/src/gateway${TS}';
import { ${s.factory} } from '../../${s.name}/src/service${TS}';
import { createMemoryStorage } from '../../${s.name}/src/storage${TS}';
import { createAuthService } from '../src/service${TS}';

// auth-service, ${s.name} and the gateway on free ports, found through a registry of their own,
// wired as \`npm start\` wires them (JWT_JWKS_URL = auth-service's JWKS); storage in memory.
let registry: string;
let gatewayUrl: string;
const running: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  registry = await mkdtemp(join(tmpdir(), '${ctx.system}-auth-'));
  const common = {
    LOG_LEVEL: 'silent',
    SERVICE_PORT: '0',
    REGISTRY_URL: \`local:\${registry}\`,
    JWT_ISSUER: 'http://auth.test',
    JWT_AUDIENCE: 'outrig-${ctx.system}',
  };
  const auth = await createAuthService({
    env: common,
    storage: createMemoryAuthStorage(),
    scrypt: { ln: 10, r: 8, p: 1 },
  });
  running.push(auth);
  const authUrl = await auth.start({ signals: false });
  const verifying = { ...common, JWT_JWKS_URL: \`\${authUrl}/.well-known/jwks.json\` };
  const service = await ${s.factory}({ env: verifying, storage: createMemoryStorage() });
  running.push(service);
  await service.start({ signals: false });
  const gateway = await createSystemGateway({ env: verifying });
  running.push(gateway);
  gatewayUrl = await gateway.start({ signals: false });
});

afterAll(async () => {
  for (const service of running.reverse()) await service.stop();
  await rm(registry, { recursive: true, force: true });
});

const json = { 'content-type': 'application/json' };
const user = { email: 'ada@example.com', password: 'correct horse battery staple' };

describe('through the gateway', () => {
  it('registers and logs in; /api/v1/${s.plural} needs the token', async () => {
    // 503 until the gateway has found auth-service in the registry.
    const registered = await eventually('register through the gateway', async () => {
      const res = await fetch(\`\${gatewayUrl}/api/v1/auth/register\`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(user),
      });
      return res.status === 503 ? undefined : res;
    });
    expect(registered.status).toBe(201);
    const login = await fetch(\`\${gatewayUrl}/api/v1/auth/login\`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(user),
    });
    const { accessToken } = ((await login.json()) as { data: { accessToken: string } }).data;

    const anonymous = await fetch(\`\${gatewayUrl}/api/v1/${s.plural}\`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');

    const bearer = { authorization: \`Bearer \${accessToken}\` };
    const created = await eventually('a protected create through the gateway', async () => {
      const res = await fetch(\`\${gatewayUrl}/api/v1/${s.plural}\`, {
        method: 'POST',
        headers: { ...json, ...bearer },
        body: JSON.stringify({ name: 'Hello' }),
      });
      return res.status === 503 ? undefined : res;
    });
    expect(created.status).toBe(201);
    const list = await fetch(\`\${gatewayUrl}/api/v1/${s.plural}\`, { headers: bearer });
    expect(((await list.json()) as { data: unknown[] }).data).toEqual([expect.objectContaining({ name: 'Hello' })]);
  });
});
`;
}
