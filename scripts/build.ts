import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (this file is `<root>/scripts/build.ts`). */
export const repoRoot: string = path.resolve(fileURLToPath(import.meta.url), '../..');

/** The fields of a package.json this tooling reads or writes. */
export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  exports?: unknown;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}

/** A publishable package: a folder of `packages/` whose package.json is not `"private": true`. */
export interface PublishablePackage {
  /** Its folder, e.g. `<root>/packages/core`. */
  readonly dir: string;
  readonly manifest: PackageJson;
}

/** Every publishable package of the repository, by folder name. */
export async function publishablePackages(root: string = repoRoot): Promise<PublishablePackage[]> {
  const folders = await readdir(path.join(root, 'packages'), { withFileTypes: true });
  const found: PublishablePackage[] = [];
  for (const folder of folders.filter((f) => f.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const dir = path.join(root, 'packages', folder.name);
    const text = await readFile(path.join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const manifest = JSON.parse(text) as PackageJson;
    if (manifest.private !== true) found.push({ dir, manifest });
  }
  return found;
}

/**
 * Compiles the `src` of every package with tsc (`tsconfig.build.json`: no tests, `.js` plus
 * `.d.ts`) into `outDir`, and returns, per package folder, where its compiled `src` is
 * (`<outDir>/<folder>/src`). Relative `.ts` specifiers become `.js` in both kinds of file.
 */
export async function compilePackages(outDir: string, root: string = repoRoot): Promise<Map<string, string>> {
  const tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  const tsconfig = path.join(root, 'tsconfig.build.json');
  await run(process.execPath, [tsc, '-p', tsconfig, '--outDir', outDir], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`tsc -p tsconfig.build.json failed:\n${err.stdout || err.stderr || err.message}`);
  });
  const compiled = new Map<string, string>();
  for (const pkg of await publishablePackages(root)) {
    const folder = path.basename(pkg.dir);
    const src = path.join(outDir, folder, 'src');
    await rewriteSpecifiers(src);
    compiled.set(folder, src);
  }
  return compiled;
}

/**
 * `npm run build`: compiles every publishable package to `packages/<name>/dist` (JavaScript and
 * declarations, same layout as `src`). Nothing in the repository uses `dist`: workspaces run
 * their sources (docs/architecture/0003-typescript-without-a-build.md, Publishing).
 */
export async function build(root: string = repoRoot): Promise<PublishablePackage[]> {
  const cache = path.join(root, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  const out = await mkdtemp(path.join(cache, 'outrig-build-'));
  try {
    const compiled = await compilePackages(out, root);
    const packages = await publishablePackages(root);
    for (const pkg of packages) {
      const dist = path.join(pkg.dir, 'dist');
      await rm(dist, { recursive: true, force: true });
      await rename(compiled.get(path.basename(pkg.dir)) as string, dist);
    }
    return packages;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

const RELATIVE_TS = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"\n]*?)\.ts\2/g;

/** tsc rewrites `.ts` → `.js` in emitted JavaScript but not in declarations: do it there too. */
async function rewriteSpecifiers(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (entry.name.endsWith('.d.ts')) {
      const text = await readFile(file, 'utf8');
      const fixed = text.replace(RELATIVE_TS, '$1$2$3.js$2');
      if (fixed !== text) await writeFile(file, fixed);
    } else if (entry.name.endsWith('.js')) {
      const left = (await readFile(file, 'utf8')).match(RELATIVE_TS);
      if (left) throw new Error(`${file} still imports ${left[0]} after tsc`);
    }
  }
}

if (import.meta.main) {
  const packages = await build();
  for (const pkg of packages) console.log(`${pkg.manifest.name}: ${path.relative(repoRoot, pkg.dir)}/dist`);
}
