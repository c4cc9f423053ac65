import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DbErrors } from '../errors.ts';
import type { PostgresBinaries, RunAs } from './postgres-binaries.ts';

const MAX_LOG_BYTES = 10 * 1024 * 1024;

export interface SpawnOptions {
  readonly binaries: PostgresBinaries;
  readonly dataDir: string;
  readonly port: number;
  readonly runAs: RunAs | undefined;
  readonly logFile: string;
  readonly maxConnections: number;
}

/**
 * Starts the postmaster in its own session (detached): a Ctrl-C in the terminal then reaches
 * the services only, which drain and stop the server last. Output goes to `logFile`; TCP on
 * 127.0.0.1 only, no Unix socket (its path length limit and /tmp clutter buy nothing here).
 */
export function spawnPostgres(o: SpawnOptions): ChildProcess {
  const size = statSafe(o.logFile);
  if (size > MAX_LOG_BYTES) truncateSync(o.logFile, 0);
  const fd = openSync(o.logFile, 'a');
  try {
    const args = ['-D', o.dataDir, '-p', String(o.port), '-c', 'listen_addresses=127.0.0.1'];
    args.push('-c', 'unix_socket_directories=', '-c', `max_connections=${o.maxConnections}`);
    const child = spawn(o.binaries.postgres, args, {
      ...(o.runAs ?? {}),
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    child.on('error', () => {}); // spawn failures show as an exit; see waitUntilReady
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** True once the child has exited (or failed to spawn). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

/** Why a connection attempt failed: not yet (retry), or never (throw). */
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', '57P03', 'ETIMEDOUT']);

/**
 * Connects to `url` and returns the server's data directory; retries while the server is
 * starting. `alive()` false stops the wait early (the process is gone). Throws the last error
 * when `deadline` passes or the error is not one of "not ready yet".
 */
export async function probeDataDirectory(
  url: string,
  deadline: number,
  alive: () => boolean,
): Promise<string> {
  for (;;) {
    if (!alive()) throw new Error('the server process exited');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => {});
    try {
      await client.connect();
      const res = await client.query<{ data_directory: string }>('SHOW data_directory');
      return res.rows[0]!.data_directory;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!RETRYABLE.has(code ?? '') && !/timeout/i.test((err as Error).message)) throw err;
      if (!alive() || Date.now() > deadline) throw err;
    } finally {
      await client.end().catch(() => {});
    }
    await sleep(50);
  }
}

/** Whether two paths name the same directory. */
export async function sameDir(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all([a, b].map((p) => realpath(p).catch(() => path.resolve(p))));
  return ra === rb;
}

/** Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL if it still runs. */
export async function stopPostgres(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The grace timer is cancelled once the server is gone: it must not keep the process alive.
  const waitFor = async (ms: number) => {
    const cancel = new AbortController();
    const timeout = sleep(ms, false, { signal: cancel.signal }).catch(() => true);
    const done = await Promise.race([exited.then(() => true), timeout]);
    cancel.abort();
    return done;
  };
  child.kill('SIGINT');
  if (await waitFor(20_000)) return;
  child.kill('SIGQUIT');
  if (await waitFor(5_000)) return;
  child.kill('SIGKILL');
  await exited;
}

/** The last lines of the server log, for error messages. */
export function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

/** An error for a server that did not start, with the end of its log. */
export function startFailed(dataDir: string, reason: string, logFile: string, cause?: unknown) {
  const tail = logTail(logFile);
  return DbErrors.DB_EMBEDDED_START_FAILED({
    params: { dataDir, reason: `${reason}; server log ${logFile} ends with:\n${tail}` },
    details: { dataDir, logFile },
    cause,
  });
}

function statSafe(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
