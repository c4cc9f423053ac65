import type { PackageJson } from './build.ts';

/**
 * The Node versions a published package declares. Only published manifests carry `engines`:
 * inside the repository the `node` devDependency runs everything on Node 24, whatever the
 * system Node that ran `npm ci` (docs/architecture/0003-typescript-without-a-build.md, Publishing).
 */
export const PUBLISHED_ENGINES = { node: '>=22.18' } as const;

/** What `npm pack` ships besides package.json: the build, README and LICENSE (plus a package's own `files`). */
const PUBLISHED_FILES = ['dist'];

/**
 * The package.json written into a package's tarball: `exports`, `bin`, `main` and `types` point
 * at `dist/` (built by tsc from `src/`) instead of the TypeScript sources, `engines` is declared,
 * devDependencies and scripts are left out. Internal dependencies (names in `versions`) must be
 * the exact version of that package, or this throws.
 *
 * @example
 * publishedManifest({ name: '@outrig/db', version: '0.1.0', exports: { '.': './src/index.ts' } }, versions)
 * // → { …, exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } }, main: './dist/index.js', … }
 */
export function publishedManifest(source: PackageJson, versions: ReadonlyMap<string, string>): PackageJson {
  const {
    devDependencies: _dev,
    scripts: _scripts,
    engines: _engines,
    exports,
    bin,
    main: _main,
    types: _types,
    files,
    ...rest
  } = source;
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
    for (const [dep, spec] of Object.entries(source[field] ?? {})) {
      const version = versions.get(dep);
      if (version !== undefined && spec !== version) {
        throw new Error(
          `${source.name}: ${field}.${dep} is "${spec}", must be the exact version "${version}" of the package in this repository`,
        );
      }
    }
  }
  const out: PackageJson = {
    ...rest,
    engines: { ...PUBLISHED_ENGINES },
    files: [...PUBLISHED_FILES, ...extraFiles(files, source.name)],
  };
  if (exports !== undefined) {
    out.exports = mapExports(exports, `${source.name} exports`);
    const root = rootEntry(exports);
    if (root !== undefined) {
      out.main = built(root, '.js', `${source.name} exports["."]`);
      out.types = built(root, '.d.ts', `${source.name} exports["."]`);
    }
  }
  if (typeof bin === 'string') out.bin = built(bin, '.js', `${source.name} bin`);
  else if (bin !== undefined) {
    out.bin = Object.fromEntries(
      Object.entries(bin).map(([name, file]) => [name, built(file, '.js', `${source.name} bin.${name}`)]),
    );
  }
  return out;
}

/**
 * Folders a package ships as they are, besides its build: its own `files` (e.g. `drizzle`, the
 * migrations @outrig/auth reads at run time next to `dist/`). Each must be a plain relative path.
 */
export function extraFiles(files: unknown, name: string): string[] {
  if (files === undefined) return [];
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string' && /^[a-z0-9][\w.-]*$/i.test(f))) {
    throw new Error(
      `${name}: files must be a list of top-level folder or file names, got ${JSON.stringify(files)}`,
    );
  }
  return (files as string[]).filter((f) => !PUBLISHED_FILES.includes(f));
}

/** Every file a published manifest points at, relative to the package root (`dist/…`). */
export function publishedFiles(manifest: PackageJson): string[] {
  const files = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string') files.add(value.replace(/^\.\//, ''));
    else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collect(v);
  };
  for (const field of ['exports', 'bin', 'main', 'types']) collect(manifest[field]);
  return [...files].sort();
}

function mapExports(value: unknown, where: string): unknown {
  if (typeof value === 'string') {
    return { types: built(value, '.d.ts', where), default: built(value, '.js', where) };
  }
  if (value === null) return null;
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, mapExports(v, `${where}["${key}"]`)]),
    );
  }
  throw new Error(`${where}: unsupported value ${JSON.stringify(value)}`);
}

function rootEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  const root = (exports as Record<string, unknown>)['.'];
  return typeof root === 'string' ? root : undefined;
}

/** `./src/a/b.ts` → `./dist/a/b.js` (or `.d.ts`). */
function built(file: string, extension: '.js' | '.d.ts', where: string): string {
  const match = /^\.\/src\/(.+)\.ts$/.exec(file);
  if (!match)
    throw new Error(`${where}: "${file}" is not a ./src/….ts file, so there is no built file for it`);
  return `./dist/${match[1]}${extension}`;
}
