import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { DbErrors } from '../errors.ts';
import { withFileLock } from './file-lock.ts';
import { initCluster, isInitialised } from './init-cluster.ts';
import { assertReachable, loadPostgresBinaries, postgresRunAs } from './postgres-binaries.ts';
import {
  hasExited,
  probeDataDirectory,
  sameDir,
  spawnPostgres,
  startFailed,
  stopPostgres,
} from './postgres-process.ts';
import {
  isPostmasterOf,
  processAlive,
  readPostmasterPid,
  removeStalePostmasterPid,
} from './postmaster-pid.ts';

/** Resolved options (defaults applied, validated). */
export interface ServerOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly createPostgresUser: boolean;
  readonly maxConnections: number;
  readonly startTimeoutMs: number;
  readonly logFile: string;
}

/** A server for the data directory: started here (`child`) or found running (no `child`). */
export interface LocatedServer {
  readonly port: number;
  readonly child?: ChildProcess;
}

/** A connection URL to `database` on a local server. */
export function serverUrl(o: ServerOptions, port: number, database: string): string {
  const auth = `${encodeURIComponent(o.user)}:${encodeURIComponent(o.password)}`;
  return `postgres://${auth}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/**
 * Finds the server running on `o.dataDir`, or initialises (first use) and starts one. Holds
 * `<dataDir>.lock` while starting so that processes starting together end up with one server.
 */
export async function locateServer(o: ServerOptions): Promise<LocatedServer> {
  const running = await findRunning(o);
  if (running !== undefined) return { port: running };
  await mkdir(path.dirname(o.dataDir), { recursive: true });
  const lockTimeout = () =>
    DbErrors.DB_EMBEDDED_START_FAILED({
      params: {
        dataDir: o.dataDir,
        reason: `another process has been starting it for too long (${o.dataDir}.lock); delete that file if no other process is starting the server`,
      },
    });
  return withFileLock(`${o.dataDir}.lock`, o.startTimeoutMs, lockTimeout, async () => {
    const again = await findRunning(o);
    if (again !== undefined) return { port: again };
    return start(o);
  });
}

/** The port of a live server of `o.dataDir` that accepts our login, or undefined. */
export async function findRunning(o: ServerOptions): Promise<number | undefined> {
  const info = await readPostmasterPid(o.dataDir);
  if (!info || !(await isPostmasterOf(info.pid, o.dataDir))) return undefined;
  const url = serverUrl(o, info.port, 'postgres');
  let dir: string;
  try {
    // It may be starting (wait for it) or stopping (then it exits and we start a new one).
    dir = await probeDataDirectory(url, Date.now() + o.startTimeoutMs, () => processAlive(info.pid));
  } catch (err) {
    if (!processAlive(info.pid)) return undefined;
    throw DbErrors.DB_EMBEDDED_START_FAILED({
      params: {
        dataDir: o.dataDir,
        reason: `a server (pid ${info.pid}) runs on it but port ${info.port} refused our login: ${(err as Error).message}`,
      },
      cause: err,
    });
  }
  if (!(await sameDir(dir, o.dataDir))) {
    throw DbErrors.DB_EMBEDDED_START_FAILED({
      params: {
        dataDir: o.dataDir,
        reason: `port ${info.port} is served by another data directory (${dir})`,
      },
    });
  }
  return info.port;
}

async function start(o: ServerOptions): Promise<LocatedServer> {
  const binaries = await loadPostgresBinaries();
  const runAs = await postgresRunAs(o.createPostgresUser, o.dataDir);
  if (runAs) {
    await assertReachable(o.dataDir, runAs, o.dataDir);
    await assertReachable(binaries.postgres, runAs, o.dataDir);
  }
  if (await isInitialised(o.dataDir)) {
    await removeStalePostmasterPid(o.dataDir);
  } else {
    await initCluster({ binaries, dataDir: o.dataDir, runAs, user: o.user, password: o.password });
  }
  const port = o.port === 0 ? await freePort() : o.port;
  const child = spawnPostgres({ ...o, binaries, port, runAs });
  try {
    await probeDataDirectory(
      serverUrl(o, port, 'postgres'),
      Date.now() + o.startTimeoutMs,
      () => !hasExited(child),
    );
    return { port, child };
  } catch (err) {
    const exited = hasExited(child);
    await stopPostgres(child);
    // Another starter (outside our lock) may have won the data directory: use its server.
    const other = await findRunning(o).catch(() => undefined);
    if (other !== undefined) return { port: other };
    const reason = exited
      ? `postgres exited while starting (is port ${port} free?)`
      : `postgres did not accept connections within ${o.startTimeoutMs} ms`;
    throw startFailed(o.dataDir, reason, o.logFile, err);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
