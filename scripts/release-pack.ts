import { execFile } from 'node:child_process';
import { access, copyFile, cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { compilePackages, publishablePackages, repoRoot } from './build.ts';
import { extraFiles, publishedFiles, publishedManifest } from './published-manifest.ts';

const run = promisify(execFile);

/** One tarball written by {@link releasePack}. */
export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  /** Absolute path of the `.tgz`. */
  readonly file: string;
}

export interface ReleasePackOptions {
  /** The repository to pack. Default: this one. */
  root?: string;
}

/**
 * `npm run release:pack -- <dir>`: builds every publishable package (`packages/*`) and packs it
 * into `dir` as an npm tarball — `dist/` (JavaScript and declarations), README.md, LICENSE, the package's own `files` (`drizzle/` of @outrig/auth) and a
 * package.json whose `exports`, `bin` and `types` point at `dist/` (see `publishedManifest`).
 * Works in a staging copy under the OS temp folder: the repository is left untouched, and
 * several calls may run at once.
 *
 * @example
 * const packed = await releasePack('/tmp/outrig-tarballs');
 * // [{ name: '@outrig/core', version: '0.1.0', file: '/tmp/outrig-tarballs/outrig-core-0.1.0.tgz' }, …]
 */
export async function releasePack(dir: string, options: ReleasePackOptions = {}): Promise<PackedPackage[]> {
  const root = options.root ?? repoRoot;
  const target = path.resolve(dir);
  await mkdir(target, { recursive: true });
  const stage = await mkdtemp(path.join(os.tmpdir(), 'outrig-release-'));
  try {
    const packages = await publishablePackages(root);
    const versions = new Map(packages.map((p) => [p.manifest.name, p.manifest.version]));
    const compiled = await compilePackages(path.join(stage, 'tsc'), root);
    const packed: PackedPackage[] = [];
    for (const pkg of packages) {
      const folder = path.basename(pkg.dir);
      const staged = path.join(stage, folder);
      await mkdir(staged);
      await rename(compiled.get(folder) as string, path.join(staged, 'dist'));
      const manifest = publishedManifest(pkg.manifest, versions);
      await writeFile(path.join(staged, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      await copyFile(path.join(pkg.dir, 'README.md'), path.join(staged, 'README.md'));
      await copyFile(path.join(root, 'LICENSE'), path.join(staged, 'LICENSE'));
      for (const extra of extraFiles(pkg.manifest.files, manifest.name)) {
        await cp(path.join(pkg.dir, extra), path.join(staged, extra), { recursive: true });
      }
      for (const file of publishedFiles(manifest)) {
        await access(path.join(staged, file)).catch(() => {
          throw new Error(
            `${manifest.name}: package.json points at ${file}, which the build did not produce`,
          );
        });
      }
      packed.push({ name: manifest.name, version: manifest.version, file: await npmPack(staged, target) });
    }
    return packed;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function npmPack(folder: string, destination: string): Promise<string> {
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', destination],
    {
      cwd: folder,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const [result] = JSON.parse(stdout) as Array<{ filename: string }>;
  if (!result) throw new Error(`npm pack printed no result in ${folder}`);
  return path.join(destination, result.filename);
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) {
    console.error('usage: npm run release:pack -- <dir> [--json]');
    process.exit(2);
  }
  const packed = await releasePack(positionals[0] as string);
  if (values.json) console.log(JSON.stringify(packed, null, 2));
  else for (const p of packed) console.log(p.file);
}
