import { execFile } from 'node:child_process';
import { readFile, readlink, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The fields of `postmaster.pid` that matter here (see PostgreSQL's miscadmin.h LOCK_FILE_LINE_*). */
export interface PostmasterPid {
  readonly pid: number;
  readonly port: number;
  /** `starting`, `ready`, `stopping` or `standby` (absent in a file from a crash during start). */
  readonly status: string | undefined;
}

/** Parses `<dataDir>/postmaster.pid`; undefined when absent or unreadable. */
export async function readPostmasterPid(dataDir: string): Promise<PostmasterPid | undefined> {
  const text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, port: Number.parseInt(lines[3] ?? '', 10), status: lines[7]?.trim() || undefined };
}

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `pid` is a live postmaster of `dataDir`. A postmaster's working directory is its
 * data directory, which tells a live server from a pid that was reused by another process
 * after a crash or reboot (PostgreSQL itself then refuses to start: "lock file already exists").
 * When that cannot be read, any live `postgres` process counts, to stay on the safe side.
 */
export async function isPostmasterOf(pid: number, dataDir: string): Promise<boolean> {
  if (!processAlive(pid)) return false;
  const real = await realpath(dataDir).catch(() => path.resolve(dataDir));
  if (process.platform === 'linux') {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch((err: NodeJS.ErrnoException) => err.code ?? 'ERR');
    if (cwd === 'ENOENT') return false;
    if (cwd.startsWith('/')) return cwd === real;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    return comm.trim().startsWith('postgres');
  }
  const ps = await run('ps', ['-p', String(pid), '-o', 'command=']).catch(() => ({ stdout: '' }));
  return ps.stdout.includes('postgres');
}

/**
 * Removes a `postmaster.pid` left by a server that no longer runs, so a crashed previous run
 * does not block the next start. Returns true when it removed one.
 */
export async function removeStalePostmasterPid(dataDir: string): Promise<boolean> {
  const info = await readPostmasterPid(dataDir);
  if (!info || (await isPostmasterOf(info.pid, dataDir))) return false;
  await rm(path.join(dataDir, 'postmaster.pid'), { force: true });
  return true;
}
