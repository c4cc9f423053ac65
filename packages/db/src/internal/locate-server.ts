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
  readonly portTaken: 'fail' | 'any-free';
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
  for (let attempt = 1; ; attempt++) {
    const port = await choosePort(o);
    const child = spawnPostgres({ ...o, binaries, port, runAs });
    let dir: string;
    try {
      dir = await probeDataDirectory(
        serverUrl(o, port, 'postgres'),
        Date.now() + o.startTimeoutMs,
        () => !hasExited(child),
      );
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
    if (await sameDir(dir, o.dataDir)) return { port, child };
    // The port was taken between the check and the start, and the probe reached that other
    // server (same default password): never use a server of another data directory.
    await stopPostgres(child);
    if (o.portTaken === 'fail' || attempt >= 3) {
      throw portInUse(o, port, `the PostgreSQL server of ${dir}`);
    }
  }
}

/** `o.port` when free; otherwise a free one (`any-free`) or DB_EMBEDDED_PORT_IN_USE. */
async function choosePort(o: ServerOptions): Promise<number> {
  if (o.port === 0) return freePort();
  if (await portFree(o.port)) return o.port;
  if (o.portTaken === 'any-free') return freePort();
  throw portInUse(o, o.port, await occupant(o, o.port));
}

function portInUse(o: ServerOptions, port: number, occupant: string) {
  return DbErrors.DB_EMBEDDED_PORT_IN_USE({
    params: { port, occupant, dataDir: o.dataDir },
    details: { port, dataDir: o.dataDir, occupant },
  });
}

/** Who holds `port`: a PostgreSQL server that names its data directory, or another process. */
async function occupant(o: ServerOptions, port: number): Promise<string> {
  try {
    const dir = await probeDataDirectory(serverUrl(o, port, 'postgres'), Date.now(), () => true);
    return `the PostgreSQL server of ${dir}`;
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === '28P01' || code === '28000'
      ? 'a PostgreSQL server that refused our login'
      : 'another process';
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
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
