import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chown, mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DbErrors } from '../errors.ts';
import type { PostgresBinaries, RunAs } from './postgres-binaries.ts';

const run = promisify(execFile);

export interface InitClusterOptions {
  readonly binaries: PostgresBinaries;
  readonly dataDir: string;
  readonly runAs: RunAs | undefined;
  readonly user: string;
  readonly password: string;
}

/** True when `dataDir` holds an initialised cluster. */
export function isInitialised(dataDir: string): Promise<boolean> {
  return access(path.join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}

/**
 * Runs initdb in `<dataDir>.initdb` and renames it into place, so that an interrupted first
 * run never leaves a half-initialised data directory that later starts would trip over.
 * The builtin C.UTF-8 locale keeps the cluster independent of the locales the OS has.
 */
export async function initCluster(o: InitClusterOptions): Promise<void> {
  const fail = (reason: string, cause?: unknown) =>
    DbErrors.DB_EMBEDDED_START_FAILED({ params: { dataDir: o.dataDir, reason }, cause });
  const existing = await readdir(o.dataDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw fail(`cannot read the folder: ${err.message}`, err);
  });
  if (existing.length > 0) throw fail('the folder is not empty and is not a PostgreSQL data directory');
  const staging = `${o.dataDir}.initdb`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true, mode: 0o700 });
  const pwfile = path.join(os.tmpdir(), `outrig-pg-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${o.password}\n`, { mode: 0o600 });
  try {
    if (o.runAs) {
      await chown(staging, o.runAs.uid, o.runAs.gid);
      await chown(pwfile, o.runAs.uid, o.runAs.gid);
    }
    const args = [
      `--pgdata=${staging}`,
      `--username=${o.user}`,
      '--auth=scram-sha-256',
      `--pwfile=${pwfile}`,
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--no-instructions',
    ];
    await run(o.binaries.initdb, args, {
      ...(o.runAs ?? {}),
      env: { ...process.env, LC_MESSAGES: 'C' },
    }).catch((err: { stderr?: string }) => {
      throw fail(`initdb failed: ${(err.stderr ?? String(err)).trim()}`, err);
    });
  } finally {
    await rm(pwfile, { force: true });
  }
  // rmdir (not rm -r): it only ever removes the empty folder checked above.
  await rmdir(o.dataDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(staging, o.dataDir);
}
