import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { CliErrors } from '../errors.ts';

/** Every package Outrig publishes: the CLI and the @outrig/* libraries. */
export const OUTRIG_PACKAGES = [
  'outrig',
  '@outrig/auth',
  '@outrig/core',
  '@outrig/db',
  '@outrig/discovery',
  '@outrig/gateway',
  '@outrig/messaging',
  '@outrig/messaging-nats',
  '@outrig/messaging-postgres',
  '@outrig/testing',
] as const;

/**
 * Where a generated system installs Outrig from. `registry`: the version of this CLI.
 * `tarballs`: the `.tgz` files of `outrig new --packages <dir>` (made by `npm run release:pack`).
 * `links`: the packages of an Outrig checkout, linked (development of Outrig itself).
 */
export interface OutrigSource {
  readonly kind: 'registry' | 'tarballs' | 'links';
  /** The spec of each Outrig package, for package.json (`0.1.0`, `file:/…/outrig-core-0.1.0.tgz`). */
  readonly specs: Readonly<Record<string, string>>;
}

/** Outrig from the npm registry, at this CLI's version. */
export function registrySource(): OutrigSource {
  return { kind: 'registry', specs: Object.fromEntries(OUTRIG_PACKAGES.map((name) => [name, pkg.version])) };
}

/**
 * Outrig from the tarballs in `dir`: every Outrig package must be there, so nothing falls back to
 * the registry (where these names are not Outrig's). CLI_PACKAGES_INVALID otherwise.
 */
export async function tarballSource(dir: string): Promise<OutrigSource> {
  const abs = path.resolve(dir);
  const invalid = (reason: string) => CliErrors.CLI_PACKAGES_INVALID({ params: { dir: abs, reason } });
  let files: string[];
  try {
    files = await readdir(abs);
  } catch {
    throw invalid('no such folder');
  }
  const specs: Record<string, string> = {};
  for (const file of files.filter((f) => f.endsWith('.tgz'))) {
    // npm pack names @outrig/core-0.1.0 outrig-core-0.1.0.tgz and outrig-0.1.0 outrig-0.1.0.tgz.
    const match = file.match(/^outrig(?:-([a-z][a-z-]*?))?-(\d+\.\d+\.\d+[^/]*)\.tgz$/);
    if (!match) continue;
    const name = match[1] === undefined ? 'outrig' : `@outrig/${match[1]}`;
    specs[name] = `file:${path.join(abs, file)}`;
  }
  const missing = OUTRIG_PACKAGES.filter((name) => specs[name] === undefined);
  if (missing.length > 0) {
    throw invalid(`no tarball for ${missing.join(', ')} (make them with npm run release:pack -- ${dir})`);
  }
  return { kind: 'tarballs', specs };
}

/**
 * Outrig linked from the packages/ folder of a checkout at `repoRoot` (npm links directories:
 * their real path stays outside node_modules, so Node strips their types).
 */
export async function linkSource(repoRoot: string): Promise<OutrigSource> {
  const abs = path.resolve(repoRoot);
  const specs: Record<string, string> = {};
  const dirs = await readdir(path.join(abs, 'packages')).catch(() => {
    throw CliErrors.CLI_PACKAGES_INVALID({ params: { dir: abs, reason: 'no packages/ folder' } });
  });
  for (const dir of dirs) {
    const file = path.join(abs, 'packages', dir, 'package.json');
    if (!(await stat(file).catch(() => undefined))) continue;
    const { name } = JSON.parse(await readFile(file, 'utf8')) as { name: string };
    if ((OUTRIG_PACKAGES as readonly string[]).includes(name))
      specs[name] = `file:${path.join(abs, 'packages', dir)}`;
  }
  return { kind: 'links', specs };
}

/** The `overrides` of the root package.json: every Outrig package from `source` (none for the registry). */
export function overridesOf(source: OutrigSource): Record<string, string> {
  return source.kind === 'registry' ? {} : { ...source.specs };
}
