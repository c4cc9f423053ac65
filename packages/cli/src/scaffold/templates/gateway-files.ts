import { TS } from './ts-extension.ts';

/** What the gateway templates need. */
export interface GatewayContext {
  readonly packageName: string;
  readonly port: number;
  readonly dependencies: Readonly<Record<string, string>>;
  /** The system has an auth service: its routes, and tokens verified at the edge. */
  readonly auth: boolean;
}

/** The gateway: every service behind one address, found in the service registry. */
export function gatewayFiles(ctx: GatewayContext): Record<string, string> {
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
    'README.md': `# gateway

Port ${ctx.port}. Routes \`/api/*/<resource>\` to the service that owns the resource (\`src/routes.ts\`;
\`outrig add resource\` adds a line), finds instances in the service registry (\`REGISTRY_URL\`), and
serves the merged OpenAPI of every service at \`/openapi.json\` and \`/docs\`.${
      ctx.auth
        ? `

Tokens are verified at the edge with auth-service's keys (\`JWT_JWKS_URL\`, \`JWT_ISSUER\`,
\`JWT_AUDIENCE\`: \`outrig dev\` sets them): \`auth: 'required'\` routes answer 401 without a valid
token before anything is forwarded, \`'optional'\` ones refuse only an invalid token. The services
check the token again.`
        : ''
    }
`,
    'src/main.ts': `import { runService } from '@outrig/core';
import { createSystemGateway } from './gateway${TS}';

await runService(() => createSystemGateway());
`,
    'src/gateway.ts': `import { type CreateGatewayOptions, createGateway, type Gateway } from '@outrig/gateway';
import { routes } from './routes${TS}';

/** The system's gateway: every service behind one address, found in the registry (REGISTRY_URL). */
export function createSystemGateway(
  options: Pick<CreateGatewayOptions, 'env' | 'logStream'> = {},
): Promise<Gateway> {
  return createGateway({ name: 'gateway', port: ${ctx.port}, routes, ...options });
}
`,
    'src/routes.ts': `import type { GatewayRoute } from '@outrig/gateway';

/** Which service serves which \`/api/*\\/<resource>\` prefix (\`outrig add resource\` adds a line). */
export const routes: GatewayRoute[] = [${
      ctx.auth
        ? `
  // register, login and refresh are anonymous; /auth/me carries a token.
  { path: '/api/*/auth', service: 'auth-service', auth: 'optional' },
  { path: '/.well-known/jwks.json', service: 'auth-service' },`
        : ''
    }
  // outrig:routes
];
`,
    'test/routes.test.ts': `import { compileRoutes } from '@outrig/gateway';
import { describe, expect, it } from 'vitest';
import { routes } from '../src/routes${TS}';

describe('the route table', () => {
  it('compiles: every path is valid and no two routes overlap', () => {
    const compiled = compileRoutes(routes);
    expect(compiled.ok ? [] : compiled.problems).toEqual([]);
  });
});
`,
  };
}
